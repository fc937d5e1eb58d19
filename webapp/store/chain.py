"""Tamper evidence for the audit trail: each row holds a SHA-256 of its content and the previous row's hash.

Changing a row breaks its own hash; deleting one breaks the next row's link; the oldest kept row links to the
anchor left by `archive` (webapp/store/models.py `AuditAnchor`), or to `GENESIS` when nothing was archived.
Appends are serialised so the chain stays a single line: on PostgreSQL with a transaction-scoped advisory
lock, on SQLite with a file lock beside the database (a node's gunicorn workers share it) and a thread lock.
The hash leaves out the row id, so a row's hash is known before it is inserted.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from webapp.store import sqlite_file_lock
from webapp.store.models import AuditAnchor, AuditEvent

GENESIS: Final = "0" * 64
# Any fixed 64-bit number; derived from the text "migo-audit-chain".
APPEND_LOCK_KEY: Final = 0x6D69676F63686E31
_THREAD_LOCK = threading.Lock()


def _utc_text(moment: datetime) -> str:
    """SQLite hands timestamps back without a zone; every timestamp in the trail is UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds")


def json_safe(detail: dict[str, Any] | None) -> dict[str, Any] | None:
    """The detail as it reads back from the JSON column (string keys, lists), so the hash agrees later."""
    if detail is None:
        return None
    loaded: dict[str, Any] = json.loads(json.dumps(detail, default=str))
    return loaded


# The hashed columns, in no particular order (the JSON is key-sorted). Changing this list changes every hash.
HASHED: Final = (
    "occurred_at",
    "actor_id",
    "actor_email",
    "partner_id",
    "action",
    "target",
    "outcome",
    "request_id",
    "source_ip",
    "detail",
)


def canonical(content: Mapping[str, Any]) -> bytes:
    """An event's hashed columns as one fixed byte string: sorted keys, no spaces, ASCII."""
    fields = {name: content.get(name) for name in HASHED}
    fields["occurred_at"] = _utc_text(content["occurred_at"])
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def content_of(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in HASHED}


def content_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """For rows read without the ORM model (the migration that chains existing rows)."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(content)).hexdigest()


def row_hash(prev_hash: str, event: AuditEvent) -> str:
    return content_hash(prev_hash, content_of(event))


@contextmanager
def append_lock(engine: Engine) -> Iterator[None]:
    """Held around the whole append transaction on SQLite; PostgreSQL locks inside it (`link`)."""
    if engine.dialect.name != "sqlite":
        yield
        return
    with _THREAD_LOCK, sqlite_file_lock(engine, "audit"):
        yield


def _last_hash(db: Session) -> str:
    last = db.scalar(select(AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1))
    if last is not None:
        return last
    anchor = db.get(AuditAnchor, 1)
    return anchor.anchor_hash if anchor is not None else GENESIS


def link(db: Session, event: AuditEvent) -> None:
    """Give `event` its place in the chain, inside the transaction that inserts it."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
    event.detail = json_safe(event.detail)
    event.prev_hash = _last_hash(db)
    event.row_hash = row_hash(event.prev_hash, event)


@dataclass(frozen=True)
class Verdict:
    checked: int
    broken_id: int | None = None
    reason: str | None = None
    anchor: str = GENESIS

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def walk(rows: Iterator[AuditEvent], start: str) -> Verdict:
    """Check rows in id order against `start`; the first broken link ends the walk."""
    expected, checked = start, 0
    for event in rows:
        if event.prev_hash != expected:
            reason = "link broken: a row before it was removed or changed"
            return Verdict(checked, event.id, reason, start)
        if event.row_hash != row_hash(expected, event):
            return Verdict(checked, event.id, "content changed: its hash does not match", start)
        expected = event.row_hash
        checked += 1
    return Verdict(checked, anchor=start)


def verify(db: Session) -> Verdict:
    anchor = db.get(AuditAnchor, 1)
    start = anchor.anchor_hash if anchor is not None else GENESIS
    rows = db.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000))
    return walk(iter(rows), start)
