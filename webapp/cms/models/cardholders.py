"""Cardholders: a list row, the detail (the row plus profile and cards) and the twelve fields of a create."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from webapp.cms.models.cards import Card
from webapp.cms.models.readers import (
    Json,
    as_list,
    as_object,
    opt_bool,
    opt_date,
    opt_int,
    opt_str,
    opt_timestamp,
    req_int,
    req_str,
)


@dataclass(frozen=True)
class CardholderSummary:
    cardholder_id: int
    name: str
    last_name: str
    email: str | None
    phone_number: str | None
    document_type: str | None
    document_number: str | None
    status: str
    created_at: datetime | None
    card_count: int

    @classmethod
    def from_api(cls, raw: Any) -> CardholderSummary:
        w = "cardholder"
        d = as_object(raw, w)
        return cls(**_summary_fields(d, w))


def _summary_fields(d: Json, w: str) -> dict[str, Any]:
    return {
        "cardholder_id": req_int(d, "cardholderId", w),
        "name": req_str(d, "name", w),
        "last_name": req_str(d, "lastName", w),
        "email": opt_str(d, "email", w),
        "phone_number": opt_str(d, "phoneNumber", w),
        "document_type": opt_str(d, "documentType", w),
        "document_number": opt_str(d, "documentNumber", w),
        "status": req_str(d, "status", w),
        "created_at": opt_timestamp(d, "createdAt", w),
        "card_count": opt_int(d, "cardCount", w, 0) or 0,
    }


@dataclass(frozen=True)
class Cardholder(CardholderSummary):
    """The detail: the list row's fields, then the profile and the cards."""

    address: str | None
    country_of_birth: str | None
    date_of_birth: date | None
    marital_status: str | None
    gender: str | None
    updated_at: datetime | None
    closed_at: datetime | None
    pii_masked: bool
    cards: list[Card]

    @classmethod
    def from_api(cls, raw: Any) -> Cardholder:
        w = "cardholder"
        d = as_object(raw, w)
        cards = [Card.from_api(c) for c in as_list(d.get("cards") or [], "cardholder.cards")]
        fields = _summary_fields(d, w)
        if d.get("cardCount") is None:
            fields["card_count"] = len(cards)
        return cls(
            **fields,
            address=opt_str(d, "address", w),
            country_of_birth=opt_str(d, "countryOfBirth", w),
            date_of_birth=opt_date(d, "dateOfBirth", w),
            marital_status=opt_str(d, "maritalStatus", w),
            gender=opt_str(d, "gender", w),
            updated_at=opt_timestamp(d, "updatedAt", w),
            closed_at=opt_timestamp(d, "closedAt", w),
            # Unknown means "treat as masked": never assume the PII is the full value.
            pii_masked=opt_bool(d, "piiMasked", w, default=True),
            cards=cards,
        )


@dataclass(frozen=True)
class NewCardholder:
    """The twelve documented fields of cardholder create (#12), all required."""

    name: str
    last_name: str
    address: str
    country_of_birth: str
    date_of_birth: str
    marital_status: str
    gender: str
    phone_number: str
    email: str
    document_type: str
    document_number: str
    card_id: int

    def to_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lastName": self.last_name,
            "address": self.address,
            "countryOfBirth": self.country_of_birth,
            "dateOfBirth": self.date_of_birth,
            "maritalStatus": self.marital_status,
            "gender": self.gender,
            "phoneNumber": self.phone_number,
            "email": self.email,
            "documentType": self.document_type,
            "documentNumber": self.document_number,
            "cardId": self.card_id,
        }
