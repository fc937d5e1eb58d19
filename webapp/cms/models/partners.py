"""Partners (`/app/partners`), a partner named in an operator's or user's answer, and a partner's balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from webapp.cms.models.readers import (
    as_object,
    opt_int,
    opt_str,
    opt_timestamp,
    req_decimal,
    req_int,
    req_str,
    str_list,
)


@dataclass(frozen=True)
class PartnerRef:
    partner_id: int
    name: str

    @classmethod
    def from_api(cls, raw: Any) -> PartnerRef:
        d = as_object(raw, "partner")
        return cls(partner_id=req_int(d, "partnerId", "partner"), name=opt_str(d, "name", "partner") or "")


@dataclass(frozen=True)
class Branding:
    primary_color: str | None = None
    logo_text: str | None = None


@dataclass(frozen=True)
class Partner:
    partner_id: int
    name: str
    legal_name: str | None
    country: str | None
    currency: str | None
    status: str | None
    branding: Branding
    features: tuple[str, ...]
    created_at: datetime | None

    @classmethod
    def from_api(cls, raw: Any) -> Partner:
        w = "partner"
        d = as_object(raw, w)
        brand_raw = d.get("branding")
        brand = as_object(brand_raw, "partner.branding") if brand_raw is not None else {}
        return cls(
            partner_id=req_int(d, "partnerId", w),
            name=req_str(d, "name", w),
            legal_name=opt_str(d, "legalName", w),
            country=opt_str(d, "country", w),
            currency=opt_str(d, "currency", w),
            status=opt_str(d, "status", w),
            branding=Branding(
                primary_color=opt_str(brand, "primaryColor", "partner.branding"),
                logo_text=opt_str(brand, "logoText", "partner.branding"),
            ),
            features=str_list(d, "features", w),
            created_at=opt_timestamp(d, "createdAt", w),
        )


@dataclass(frozen=True)
class Balance:
    id: int | None
    client_id: int | None
    available: Decimal
    currency: str
    updated_at: datetime | None
    created_at: datetime | None

    @classmethod
    def from_api(cls, raw: Any) -> Balance:
        w = "balance"
        d = as_object(raw, w)
        return cls(
            id=opt_int(d, "id", w),
            client_id=opt_int(d, "clientId", w),
            available=req_decimal(d, "available", w),
            currency=req_str(d, "currency", w),
            updated_at=opt_timestamp(d, "updatedAt", w),
            created_at=opt_timestamp(d, "createdAt", w),
        )
