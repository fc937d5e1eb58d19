"""Exactly-once submits: one record per idempotency key, so a double click, a reload or a retry never sends a
create upstream twice.

A form carries a server-issued key (`new_key()`). Before its upstream call the view claims the key (`claim`);
only the first claim may call upstream, a later one gets the earlier record back and shows its outcome. The
view then records what happened: `succeeded` (with a reference to what was created), `unknown` (timeout after
sending: the operator must check the list; the key stays so a deliberate retry replays upstream instead of
creating twice), or `release` when the upstream refused the request outright (nothing was created, so the
operator may correct the form and submit again with the same key).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from webapp.store import current_store
from webapp.store.models import Base


class SubmissionState(StrEnum):
    """A key's state. `FOREIGN` is never stored: it is what `claim` answers for another operator's key."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    UNKNOWN = "unknown"
    FOREIGN = "foreign"


PENDING, SUCCEEDED, UNKNOWN = SubmissionState.PENDING, SubmissionState.SUCCEEDED, SubmissionState.UNKNOWN


class SubmissionRow(Base):
    __tablename__ = "submissions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int]
    partner_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16))
    result_ref: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


@dataclass(frozen=True)
class Submission:
    key: str
    kind: str
    status: SubmissionState
    result_ref: str | None


def new_key() -> str:
    return str(uuid.uuid4())


def is_valid_key(key: str | None) -> bool:
    try:
        return key is not None and str(uuid.UUID(key)) == key
    except ValueError:
        return False


def claim(key: str, *, kind: str, actor_id: int, partner_id: int | None) -> Submission | None:
    """Take the key for one upstream call: None when this caller may go ahead, else the earlier record.

    A key left `unknown` may be claimed again: the upstream's own idempotency replays the first answer."""
    now = datetime.now(UTC)
    store = current_store()
    try:
        with store.session() as db:
            db.add(
                SubmissionRow(
                    key=key,
                    kind=kind,
                    actor_id=actor_id,
                    partner_id=partner_id,
                    status=PENDING,
                    result_ref=None,
                    created_at=now,
                    updated_at=now,
                )
            )
        return None
    except IntegrityError:
        pass
    with store.session() as db:
        row = db.execute(select(SubmissionRow).where(SubmissionRow.key == key).with_for_update()).scalar_one()
        if row.actor_id != actor_id or row.kind != kind:
            # Someone else's key: never reveal or replay their outcome.
            return Submission(key=key, kind=kind, status=SubmissionState.FOREIGN, result_ref=None)
        if row.status == UNKNOWN:
            row.status, row.updated_at = PENDING, now
            return None
        return Submission(
            key=row.key, kind=row.kind, status=SubmissionState(row.status), result_ref=row.result_ref
        )


def already_sent(key: str, *, kind: str, actor_id: int) -> bool:
    """True when this caller's submission under `key` was sent or is being sent (not claimable again): a
    repeat of it calls nothing upstream. Reads only; claims nothing."""
    if not is_valid_key(key):
        return False
    with current_store().session() as db:
        row = db.execute(select(SubmissionRow).where(SubmissionRow.key == key)).scalar_one_or_none()
    return (
        row is not None
        and row.actor_id == actor_id
        and row.kind == kind
        and row.status in (PENDING, SUCCEEDED)
    )


def _set(key: str, status: SubmissionState, result_ref: str | None = None) -> None:
    with current_store().session() as db:
        row = db.get(SubmissionRow, key)
        if row is not None:
            row.status, row.result_ref, row.updated_at = status, result_ref, datetime.now(UTC)


def succeeded(key: str, result_ref: str) -> None:
    _set(key, SUCCEEDED, result_ref)


def unknown(key: str) -> None:
    _set(key, UNKNOWN)


def release(key: str) -> None:
    """The upstream refused the request: nothing exists, the operator may fix the form and send it again."""
    with current_store().session() as db:
        row = db.get(SubmissionRow, key)
        if row is not None and row.status == PENDING:
            db.delete(row)
