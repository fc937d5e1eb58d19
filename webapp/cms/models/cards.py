"""Cards, on their own (`/app/partners/{partnerId}/cards`) or in a cardholder's detail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from webapp.cms.models.readers import (
    as_object,
    opt_decimal,
    opt_int,
    opt_str,
    opt_timestamp,
    req_int,
    req_str,
)


@dataclass(frozen=True)
class Card:
    card_id: int
    masked_pan: str | None
    last4: str | None
    status: str
    balance: Decimal | None
    currency: str | None
    expires_at: str | None
    cardholder_id: int | None
    created_at: datetime | None

    @classmethod
    def from_api(cls, raw: Any) -> Card:
        w = "card"
        d = as_object(raw, w)
        expires = d.get("expiresAt")
        return cls(
            card_id=req_int(d, "cardId", w),
            masked_pan=opt_str(d, "maskedPan", w),
            last4=opt_str(d, "last4", w),
            status=req_str(d, "status", w),
            balance=opt_decimal(d, "balance", w),
            currency=opt_str(d, "currency", w),
            # The expiry format is unknown (a date, or MM/YY): it is only displayed, so keep the text.
            expires_at=None if expires is None else str(expires),
            cardholder_id=opt_int(d, "cardholderId", w),
            created_at=opt_timestamp(d, "createdAt", w),
        )
