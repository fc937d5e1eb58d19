"""Cardholders: a list row, the detail (the row plus profile and cards) and the twelve fields of a create."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self

from webapp.cms.models import readers as read
from webapp.cms.models.cards import Card
from webapp.cms.models.declared import ApiModel, api


class CardholderSummary(ApiModel, where="cardholder"):
    cardholder_id: int
    name: str
    last_name: str
    email: str | None
    phone_number: str | None
    document_type: str | None
    document_number: str | None
    status: str
    created_at: datetime | None
    card_count: int = api(read.count)


class Cardholder(CardholderSummary):
    """The detail: the list row's fields, then the profile and the cards."""

    address: str | None
    country_of_birth: str | None
    date_of_birth: date | None
    marital_status: str | None
    gender: str | None
    updated_at: datetime | None
    closed_at: datetime | None
    # Unknown means "treat as masked": never assume the PII is the full value.
    pii_masked: bool = api(read.opt_true)
    cards: list[Card] = api(read.list_of(Card.from_api, null_is_empty=True))

    @classmethod
    def from_api(cls, raw: Any, where: str | None = None) -> Self:
        """Without a `cardCount`, the count is that of the cards the detail lists."""
        d, fields = cls.read_api(raw, where)
        if d.get("cardCount") is None:
            fields["card_count"] = len(fields["cards"])
        return cls(**fields)


class NewCardholder(ApiModel, where="newCardholder"):
    """The twelve documented fields of cardholder create (#12), all required; `to_api()` is the body."""

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
