"""Partners (`/app/partners`), a partner named in an operator's or user's answer, and a partner's balance."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from webapp.cms.models.declared import ApiModel, api
from webapp.cms.models.readers import Json, str_or


class PartnerRef(ApiModel, where="partner"):
    partner_id: int
    name: str = api(str_or(""))


class Branding(ApiModel, where="partner.branding"):
    primary_color: str | None = None
    logo_text: str | None = None


def _branding(d: Json, key: str, where: str) -> Branding:
    raw = d.get(key)
    return Branding.from_api({} if raw is None else raw)


class Partner(ApiModel, where="partner"):
    partner_id: int
    name: str
    legal_name: str | None
    country: str | None
    currency: str | None
    status: str | None
    branding: Branding = api(_branding)
    features: tuple[str, ...]
    created_at: datetime | None


class Balance(ApiModel, where="balance"):
    id: int | None
    client_id: int | None
    available: Decimal
    currency: str
    updated_at: datetime | None
    created_at: datetime | None
