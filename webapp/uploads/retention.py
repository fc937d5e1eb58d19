"""How long the console keeps what operators upload: `flask --app wsgi uploads purge`, run from cron.

Upload history with its reports (the dry-run problems, the upstream's per-row outcomes) and the keyed digests
of the rows sent are deleted once older than UPLOADS_RETENTION_DAYS (default 30). Staged files (the bulk file
between dry run and submit, top-up evidence between attempts) are refused by their folders after a short TTL
already; the purge deletes them from disk at that TTL too, so nothing waits for the next upload to be swept.
The audit trail keeps its own events (who uploaded, who downloaded a report): it is not purged here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import delete, select

from webapp.process_requests.evidence import STAGING_DIR_NAME as EVIDENCE_DIR_NAME
from webapp.process_requests.evidence import EvidenceStaging
from webapp.store import current_store
from webapp.store.audit import record_event
from webapp.store.uploads import UploadKey, UploadNote, UploadRecord
from webapp.uploads.staging import STAGING_DIR_NAME, UploadStaging
from webapp.uploads.views import bp

_CHUNK = 500


@dataclass(frozen=True)
class Purged:
    uploads: int
    notes: int
    keys: int
    staged_files: int
    evidence_files: int


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _delete_uploads_before(cutoff: datetime, staging: UploadStaging) -> tuple[int, int, int]:
    """Delete the uploads created before `cutoff` with their notes and keys (explicitly: SQLite does not
    cascade unless told to); answers (uploads, notes, keys) deleted."""
    uploads = notes = keys = 0
    while True:
        with current_store().session() as db:
            rows = db.execute(
                select(UploadRecord.id, UploadRecord.staging_ref)
                .where(UploadRecord.created_at < cutoff)
                .limit(_CHUNK)
            ).all()
            if not rows:
                return uploads, notes, keys
            ids = [row.id for row in rows]
            notes += _count(db.execute(delete(UploadNote).where(UploadNote.upload_id.in_(ids))))
            keys += _count(db.execute(delete(UploadKey).where(UploadKey.upload_id.in_(ids))))
            uploads += _count(db.execute(delete(UploadRecord).where(UploadRecord.id.in_(ids))))
        for row in rows:
            staging.discard(row.staging_ref)


def purge(app: Flask, now: datetime | None = None) -> Purged:
    """Everything past its time, as of `now`."""
    moment = now or datetime.now(UTC)
    cutoff = moment - timedelta(days=int(app.config["UPLOADS_RETENTION_DAYS"]))
    instance = Path(app.instance_path)
    staging = UploadStaging(instance / STAGING_DIR_NAME)
    uploads, notes, keys = _delete_uploads_before(cutoff, staging)
    result = Purged(
        uploads=uploads,
        notes=notes,
        keys=keys,
        staged_files=staging.sweep(now=moment.timestamp()),
        evidence_files=EvidenceStaging(instance / EVIDENCE_DIR_NAME).sweep(now=moment.timestamp()),
    )
    record_event(
        "uploads_purged",
        outcome="success",
        detail={**asdict(result), "retentionDays": int(app.config["UPLOADS_RETENTION_DAYS"])},
    )
    return result


@bp.cli.command("purge")
def purge_command() -> None:
    """Delete upload history, reports and staged files past their retention (for cron)."""
    result = purge(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(" ".join(f"{name}={count}" for name, count in asdict(result).items()))
