"""Cards, on their own (`/app/partners/{partnerId}/cards`) or in a cardholder's detail."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from webapp.cms.models.declared import ApiModel, api
from webapp.cms.models.readers import Json


def _as_text(d: Json, key: str, where: str) -> str | None:
    # The expiry format is unknown (a date, or MM/YY): it is only displayed, so keep the text.
    value = d.get(key)
    return None if value is None else str(value)


class Card(ApiModel, where="card"):
    card_id: int
    masked_pan: str | None
    last4: str | None
    status: str
    balance: Decimal | None
    currency: str | None
    expires_at: str | None = api(_as_text)
    cardholder_id: int | None
    created_at: datetime | None
