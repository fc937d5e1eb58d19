"""Bulk upload history: one row per checked file, its per-row notes, remembered column mappings, and the
business keys of rows already sent (so a later file can be told "already uploaded").

Everything a console node needs to show an upload, its progress or its report lives here, never in process
memory or on one node's disk, so any node can answer the next request. Business keys are stored only as
keyed digests (HMAC with the app secret): a document number or e-mail is never written to the console store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.store.models import Numbered

# Upload statuses. `checked`: dry run done, not sent. `sending`: claimed, upstream call in flight.
# `unknown`: the upstream call's answer was lost (a retry replays it). `refused`: the upstream refused it.
# Then the upstream batch's own statuses: queued, processing, completed, failed.
CHECKED, SENDING, UNKNOWN = "checked", "sending", "unknown"
QUEUED, PROCESSING, COMPLETED, FAILED = "queued", "processing", "completed", "failed"
TERMINAL = frozenset({COMPLETED, FAILED})
IN_FLIGHT = frozenset({QUEUED, PROCESSING})

# Phases of an upload note: a problem the dry run found, or the upstream's outcome for one row.
DRY_RUN, UPSTREAM = "dry_run", "upstream"


class UploadRecord(Numbered):
    __tablename__ = "uploads"

    partner_id: Mapped[int]
    actor_id: Mapped[int]
    actor_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(10))  # users | cards
    file_name: Mapped[str] = mapped_column(String(200))
    file_type: Mapped[str] = mapped_column(String(10))
    file_size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    sheet: Mapped[str | None] = mapped_column(String(100))
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    extra_columns: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # Dry-run facts beyond the counts: checks only the CMS can make, line breaks sent as spaces.
    notices: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    valid: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    invalid: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    issues_omitted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    same_file_as: Mapped[int | None]
    staging_ref: Mapped[str | None] = mapped_column(String(32))
    submission_key: Mapped[str] = mapped_column(String(64))
    policy: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    batch_id: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None]
    sent_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The operator's row number of each row sent, in sent order: the upstream numbers rows of the converted
    # file (header = row 1), and the report must speak of the operator's file.
    source_rows: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    upstream_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    processed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    succeeded: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    progress_at: Mapped[datetime | None]
    stalled_at: Mapped[datetime | None]
    reader_lease_until: Mapped[datetime | None]
    reader_token: Mapped[str | None] = mapped_column(String(32))
    results_fetched: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    finished_at: Mapped[datetime | None]
    problem: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        Index("ix_uploads_partner_created", "partner_id", "created_at"),
        Index("ix_uploads_partner_sha", "partner_id", "sha256"),
    )


class UploadNote(Numbered):
    """One row-level fact: a dry-run problem of one cell, or the upstream's outcome for one row."""

    __tablename__ = "upload_notes"

    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), nullable=False)
    phase: Mapped[str] = mapped_column(String(10))
    row: Mapped[int]
    status: Mapped[str] = mapped_column(String(12))  # invalid|duplicate|created|failed
    field: Mapped[str | None] = mapped_column(String(40))
    code: Mapped[str | None] = mapped_column(String(12))
    message: Mapped[str | None] = mapped_column(String(300))
    shown: Mapped[str | None] = mapped_column(String(80))  # masked glimpse of the value
    first_row: Mapped[int | None]
    cardholder_id: Mapped[int | None]

    __table_args__ = (Index("ix_upload_notes_upload_phase_row", "upload_id", "phase", "row"),)


class UploadKey(Numbered):
    """A business key (document number, e-mail, card id) of a row already sent, as a keyed digest."""

    __tablename__ = "upload_keys"

    partner_id: Mapped[int]
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), nullable=False)
    row: Mapped[int]  # the operator's row number
    field: Mapped[str] = mapped_column(String(40))
    digest: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_upload_keys_partner_digest", "partner_id", "digest"),
        Index("ix_upload_keys_upload_row", "upload_id", "row"),
    )


class HeaderMapping(Numbered):
    """The columns an operator assigned for a partner's files: {file header text → field}."""

    __tablename__ = "upload_mappings"

    partner_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    signature: Mapped[str] = mapped_column(String(64))
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[datetime]
    updated_by: Mapped[int]

    __table_args__ = (
        Index("ux_upload_mappings_partner_kind_sig", "partner_id", "kind", "signature", unique=True),
    )
