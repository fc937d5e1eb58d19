"""The sandbox's card-programme data: cardholders, cards, bulk batches, process requests and balances.

Partners and CMS users belong to the platform models (`models.py`); they are referenced here by foreign key
only. JSON shapes follow ASSUMPTIONS.md §4.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from webapp.sandbox.camel import as_json
from webapp.sandbox.clock import utcnow
from webapp.sandbox.db import Base

CARDHOLDER_STATUSES = ("active", "inactive", "closed")
CARD_STATUSES = ("inactive", "active", "blocked", "cancelled")
BATCH_TYPES = ("cardholders", "cards")
BATCH_STATUSES = ("queued", "processing", "completed", "failed")
BATCH_TERMINAL = frozenset({"completed", "failed"})
PROCESS_REQUEST_STATUSES = ("pending", "approved", "rejected", "cancelled")

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_batch_id() -> str:
    """`bat_` + 26 Crockford base32 characters: a ULID-like id (48-bit time, 80 random bits)."""
    value = (int(datetime.now(UTC).timestamp() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "bat_" + "".join(reversed(chars))


def mask_pan(pan: str) -> str:
    """First six and last four, as the contract allows; the middle never leaves the sandbox."""
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def mask_tail(value: str, keep: int = 4) -> str:
    return "*" * max(len(value) - keep, 0) + value[-keep:]


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return (local[:1] + "***@" + domain) if domain else mask_tail(value)


class Cardholder(Base):
    __tablename__ = "cardholders"
    __table_args__ = (
        UniqueConstraint("partner_id", "email", name="uq_cardholders_partner_email"),
        UniqueConstraint(
            "partner_id", "document_type", "document_number", name="uq_cardholders_partner_document"
        ),
        Index("ix_cardholders_partner_created", "partner_id", "created_at"),
        Index("ix_cardholders_partner_name", "partner_id", "name"),
        Index("ix_cardholders_partner_last_name", "partner_id", "last_name"),
        Index("ix_cardholders_partner_status", "partner_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.partner_id"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False)
    country_of_birth: Mapped[str] = mapped_column(String(2), nullable=False)
    date_of_birth: Mapped[date] = mapped_column(Date, nullable=False)
    marital_status: Mapped[str] = mapped_column(String(16), nullable=False)
    gender: Mapped[str] = mapped_column(String(8), nullable=False)
    phone_number: Mapped[str] = mapped_column(String(15), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    document_type: Mapped[str] = mapped_column(String(16), nullable=False)
    document_number: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    close_reason: Mapped[str | None] = mapped_column(String(200))

    def summary_json(self, card_count: int) -> dict[str, Any]:
        """A list item (#11): full values, masking is the console's job there."""
        fields = ("name", "last_name", "email", "phone_number", "document_type", "document_number", "status")
        return {**as_json(self, *fields, "created_at", cardholderId="id"), "cardCount": card_count}

    def detail_json(self, cards: list[Card] | None, card_count: int, *, masked: bool) -> dict[str, Any]:
        """The detail record (#13): every list field plus the profile; `cards` is None when the caller may
        not see cards (the count is still shown, as in the list)."""
        body = self.summary_json(card_count)
        if masked:
            body["documentNumber"] = mask_tail(self.document_number)
            body["phoneNumber"] = mask_tail(self.phone_number)
            body["email"] = mask_email(self.email)
        profile = ("address", "country_of_birth", "date_of_birth", "marital_status", "gender")
        body.update(as_json(self, *profile, "updated_at", "closed_at", "close_reason"), piiMasked=masked)
        if cards is not None:
            body["cards"] = [card.to_json() for card in cards]
        return body


class Card(Base):
    __tablename__ = "cards"
    __table_args__ = (
        Index("ix_cards_partner_holder", "partner_id", "cardholder_id"),
        Index("ix_cards_holder", "cardholder_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.partner_id"), nullable=False)
    pan: Mapped[str] = mapped_column(String(19), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="inactive")
    balance: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="GTQ")
    expires_at: Mapped[date] = mapped_column(Date, nullable=False)
    cardholder_id: Mapped[int | None] = mapped_column(ForeignKey("cardholders.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    def to_json(self) -> dict[str, Any]:
        """`Card` of the contract. The full PAN is stored only for realism and never serialised."""
        shown = ("status", "balance", "currency", "expires_at", "cardholder_id", "created_at")
        return {**as_json(self, *shown, cardId="id"), "maskedPan": mask_pan(self.pan), "last4": self.pan[-4:]}


class Batch(Base):
    """One bulk upload. The parsed rows wait in `rows` until the worker has processed them."""

    __tablename__ = "batches"
    __table_args__ = (Index("ix_batches_partner_created", "partner_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(30), primary_key=True, default=new_batch_id)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.partner_id"), nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    processed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    succeeded: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_by: Mapped[int] = mapped_column(ForeignKey("cms_users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    file_name: Mapped[str | None] = mapped_column(String(255))
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)

    def to_json(self, created_by: dict[str, Any] | None = None) -> dict[str, Any]:
        counts = ("total", "processed", "succeeded", "failed")
        body = as_json(self, "partner_id", "type", "status", *counts, "file_name", id="id", batchId="id")
        return {**body, "createdBy": created_by, **as_json(self, "created_at", "finished_at")}


class BatchRow(Base):
    """The outcome of one spreadsheet row; `row` is the sheet's own row number (the header is row 1)."""

    __tablename__ = "batch_rows"
    __table_args__ = (UniqueConstraint("batch_id", "row", name="uq_batch_rows_batch_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"), nullable=False)
    row: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    cardholder_id: Mapped[int | None] = mapped_column(Integer)
    errors: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False, default=list)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"row": self.row, "status": self.status, "errors": self.errors}
        if self.cardholder_id is not None:
            body["cardholderId"] = self.cardholder_id
        return body


class ProcessRequest(Base):
    """A partner balance top-up request (#17), decided by a second operator."""

    __tablename__ = "process_requests"
    __table_args__ = (Index("ix_process_requests_partner_created", "partner_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.partner_id"), nullable=False)
    requested_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="GTQ")
    observations: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    requested_by: Mapped[int] = mapped_column(ForeignKey("cms_users.id"), nullable=False)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("cms_users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)
    evidence_file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    evidence_content_type: Mapped[str] = mapped_column(String(64), nullable=False)
    evidence_size: Mapped[int] = mapped_column(Integer, nullable=False)
    evidence_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    def to_json(self, people: dict[int, dict[str, Any]]) -> dict[str, Any]:
        """`people` maps CMS user ids to `{id, name, email}`; the platform owns those records."""

        def person(user_id: int) -> dict[str, Any]:
            return people.get(user_id, {"id": user_id, "name": None, "email": None})

        body = as_json(self, "id", "partner_id", "requested_amount", "currency", "observations", "status")
        body["requestedBy"] = person(self.requested_by)
        body["decidedBy"] = person(self.decided_by) if self.decided_by is not None else None
        body["decisionReason"] = self.decision_reason
        body["evidence"] = {
            "fileName": self.evidence_file_name,
            "contentType": self.evidence_content_type,
            "size": self.evidence_size,
            "sha256": self.evidence_sha256,
        }
        return {**body, **as_json(self, "created_at", "updated_at", "decided_at")}


class Balance(Base):
    """A partner's available balance (#10); `client_id` is the partner id, as the documented path calls it."""

    __tablename__ = "balances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("partners.partner_id"), nullable=False, unique=True)
    available: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="GTQ")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    def to_json(self) -> dict[str, Any]:
        return as_json(self, "id", "client_id", "available", "currency", "updated_at", "created_at")
