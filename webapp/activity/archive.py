"""Retention for the audit trail: events older than a date go to a JSON Lines file, then leave the database.

The file's first line names the chain's anchor (the hash the first archived row links to) and the last
archived row's hash; the rows follow in id order with their hashes, so the file can be checked on its own
(`verify_file`) and the kept trail links to it through `AuditAnchor`. Only a prefix of the trail (by id) is
archived, so the kept rows stay one unbroken chain. A broken chain is never archived: it is evidence.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from webapp.store import Store, chain
from webapp.store.models import AuditAnchor, AuditEvent

FORMAT = "migo-audit-trail-archive/1"
# Every column of a trail row: the hashed ones (webapp/store/chain.py) between the id and the chain's links.
COLUMNS = ("id", *chain.HASHED, "prev_hash", "row_hash")


class ArchiveRefused(RuntimeError):
    """The trail is broken, so nothing is archived (the broken rows stay where the verifier finds them)."""


@dataclass(frozen=True)
class Archived:
    count: int
    through_id: int | None
    path: Path | None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _through_id(db: Session, before: datetime) -> int | None:
    """The largest id such that every row up to it happened before `before` (a prefix of the chain)."""
    first_kept = db.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.occurred_at >= before))
    if first_kept is None:
        return db.scalar(select(func.max(AuditEvent.id)))
    return db.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.id < first_kept))


def _row(event: AuditEvent) -> dict[str, Any]:
    row = {name: getattr(event, name) for name in COLUMNS}
    row["occurred_at"] = _aware(event.occurred_at).astimezone(UTC).isoformat(timespec="microseconds")
    return row


def _write(path: Path, header: dict[str, Any], rows: Iterator[AuditEvent]) -> None:
    """Written to a temporary name, flushed to disk, then renamed: a crash leaves no half file behind."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8") as out:
        out.write(json.dumps(header, sort_keys=True) + "\n")
        for event in rows:
            out.write(json.dumps(_row(event), sort_keys=True, ensure_ascii=True) + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


def archive(store: Store, before: datetime, directory: Path) -> Archived:
    """Move the events before `before` to a file in `directory`; the kept trail still verifies."""
    before = _aware(before)
    with chain.append_lock(store.engine), store.session() as db:
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": chain.APPEND_LOCK_KEY})
        verdict = chain.verify(db)
        if not verdict.ok:
            raise ArchiveRefused(f"event {verdict.broken_id}: {verdict.reason}")
        through = _through_id(db, before)
        if through is None:
            return Archived(0, None, None)
        selected = select(AuditEvent).where(AuditEvent.id <= through).order_by(AuditEvent.id)
        count = db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.id <= through)) or 0
        last_hash = db.scalar(select(AuditEvent.row_hash).where(AuditEvent.id == through))
        assert last_hash is not None  # the chain verified, so every row has its hash
        stamp = datetime.now(UTC)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"audit-trail-through-{through}-{stamp.strftime('%Y%m%dT%H%M%SZ')}.jsonl"
        header = {
            "format": FORMAT,
            "anchor": verdict.anchor,
            "last_hash": last_hash,
            "through_id": through,
            "count": count,
            "before": before.isoformat(),
            "archived_at": stamp.isoformat(),
        }
        _write(path, header, iter(db.scalars(selected.execution_options(yield_per=1000))))
        if db.get_bind().dialect.name == "postgresql":
            # The append-only trigger (migration 0006) lets this transaction, and only it, delete.
            db.execute(text("SET LOCAL migo.audit_trail_archive = 'on'"))
        db.execute(delete(AuditEvent).where(AuditEvent.id <= through))
        anchor = db.get(AuditAnchor, 1) or AuditAnchor(id=1)
        anchor.through_id, anchor.anchor_hash = through, last_hash
        anchor.archived_at, anchor.archive_name = stamp, path.name
        db.add(anchor)
    return Archived(count, through, path)


def verify_file(path: Path) -> chain.Verdict:
    """Check an archive file on its own: its rows chain from its anchor to its last hash."""
    with open(path, encoding="utf-8") as source:
        header = json.loads(source.readline())

        def rows() -> Iterator[AuditEvent]:
            for line in source:
                data = json.loads(line)
                data["occurred_at"] = datetime.fromisoformat(data["occurred_at"])
                yield AuditEvent(**data)

        verdict = chain.walk(rows(), str(header["anchor"]))
    if verdict.ok and verdict.checked != header["count"]:
        return chain.Verdict(verdict.checked, -1, "the file holds fewer rows than its header says")
    return verdict
