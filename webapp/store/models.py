"""The console's own tables. Business data stays upstream; this is what a console must keep itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    # Every stored time is an aware UTC instant: a bare `Mapped[datetime]` column is timezone-aware, and an
    # `int`, `bool` or `datetime` column's nullability follows its annotation (`| None`), as the migrations
    # under webapp/store/migrations declare them (tests/unit/console/test_store_schema.py compares the two).
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True)}


class Numbered(Base):
    """A table whose rows the store numbers: `id`, an auto-incremented integer key, is its first column, as
    the migrations under webapp/store/migrations create it (`sort_order`: SQLAlchemy would otherwise put a
    base class's column after the table's own)."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-1)


class AuditEvent(Numbered):
    """One row of the audit trail (PCI DSS 10.2: who, what, when, outcome, origin, affected object)."""

    __tablename__ = "audit_events"

    occurred_at: Mapped[datetime]
    actor_id: Mapped[int | None]
    actor_email: Mapped[str | None] = mapped_column(String(254))
    partner_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(String(64))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Tamper evidence (webapp/store/chain.py): the previous row's hash and this row's, over its content.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_events_partner_occurred", "partner_id", "occurred_at"),
        Index("ix_audit_events_target_occurred", "target", "occurred_at"),
        Index("ix_audit_events_actor_occurred", "actor_id", "occurred_at"),
    )


class AuditAnchor(Base):
    """Where the kept trail's chain starts once older events were archived: the last archived row's hash.

    One row at most. Without it the first kept row's `prev_hash` would be taken on trust, and deleting the
    oldest rows would go unnoticed.
    """

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    through_id: Mapped[int]
    anchor_hash: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[datetime]
    archive_name: Mapped[str] = mapped_column(String(200))
