"""Queries and updates of the upload history (`webapp.store.uploads`), so views stay free of SQL."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, insert, select, update

from webapp.store import current_store
from webapp.store.uploads import (
    CHECKED,
    DRY_RUN,
    SENDING,
    UNKNOWN,
    UPSTREAM,
    UploadKey,
    UploadNote,
    UploadRecord,
)
from webapp.uploads.checking import CheckResult, KnownDigests, key_digest, payload_keys
from webapp.uploads.staging import StagedFile

_IN_CHUNK = 500
_INSERT_CHUNK = 2000


def now() -> datetime:
    return datetime.now(UTC)


def key_secret() -> bytes:
    """The HMAC key for business-key digests, derived from the app secret every node shares."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hashlib.sha256(b"migo-console/upload-keys\x00" + secret).digest()


def known_digests(partner_id: int) -> KnownDigests:
    """A look-up of which digests earlier uploads of this partner already sent."""

    def lookup(digests: Collection[str]) -> set[str]:
        found: set[str] = set()
        wanted = list(digests)
        with current_store().session() as db:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                found.update(
                    db.scalars(
                        select(UploadKey.digest).where(
                            UploadKey.partner_id == partner_id, UploadKey.digest.in_(chunk)
                        )
                    )
                )
        return found

    return lookup


def create_checked(
    *,
    partner_id: int,
    actor_id: int,
    actor_name: str,
    staged: StagedFile,
    result: CheckResult,
    mapping: dict[str, str] | None,
    submission_key: str,
) -> int:
    with current_store().session() as db:
        earlier = db.scalars(
            select(UploadRecord.id)
            .where(
                UploadRecord.partner_id == partner_id,
                UploadRecord.sha256 == staged.sha256,
                UploadRecord.batch_id.is_not(None),
            )
            .order_by(UploadRecord.id.desc())
        ).first()
        record = UploadRecord(
            partner_id=partner_id,
            actor_id=actor_id,
            actor_name=actor_name[:200],
            created_at=now(),
            kind=result.kind,
            file_name=staged.file_name[:200],
            file_type=result.sniffed.kind.value,
            file_size=staged.size,
            sha256=staged.sha256,
            sheet=result.sheet,
            mapping=mapping,
            extra_columns=[text[:80] for text in result.extra_columns[:50]],
            notices=result.notices,
            **result.counts(),
            same_file_as=earlier,
            staging_ref=staged.ref,
            submission_key=submission_key,
            status=CHECKED,
            sent_rows=0,
            upstream_total=0,
            processed=0,
            succeeded=0,
            failed=0,
            results_fetched=False,
        )
        db.add(record)
        db.flush()
        upload_id = record.id
        notes = [
            {
                "upload_id": upload_id,
                "phase": DRY_RUN,
                "row": issue.row,
                "status": "duplicate"
                if issue.first_row is not None or _is_duplicate(issue.message)
                else "invalid",
                "field": issue.field,
                "message": issue.message,
                "shown": issue.shown[:80],
                "first_row": issue.first_row,
            }
            for issue in result.issues
        ]
        _insert_many(db, UploadNote, notes)
    return upload_id


def _is_duplicate(message: str) -> bool:
    from webapp.uploads.checking import ALREADY_UPLOADED
    from webapp.uploads.dry_run import ALREADY_EXISTS, DUPLICATE_IN_FILE

    return message in (ALREADY_EXISTS, DUPLICATE_IN_FILE, ALREADY_UPLOADED)


def _insert_many(db: Any, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _INSERT_CHUNK):
        chunk = rows[start : start + _INSERT_CHUNK]
        if chunk:
            db.execute(insert(model), list(chunk))


def get(partner_id: int, upload_id: int) -> UploadRecord | None:
    with current_store().session() as db:
        record = db.get(UploadRecord, upload_id)
        if record is None or record.partner_id != partner_id:
            return None
        return record


def history(partner_id: int, page: int, limit: int) -> tuple[list[UploadRecord], int]:
    with current_store().session() as db:
        total = db.scalar(select(func.count()).where(UploadRecord.partner_id == partner_id)) or 0
        items = list(
            db.scalars(
                select(UploadRecord)
                .where(UploadRecord.partner_id == partner_id)
                .order_by(UploadRecord.created_at.desc(), UploadRecord.id.desc())
                .offset((page - 1) * limit)
                .limit(limit)
            )
        )
    return items, int(total)


def notes_page(upload_id: int, phase: str, page: int, limit: int) -> tuple[list[UploadNote], int]:
    with current_store().session() as db:
        where = (UploadNote.upload_id == upload_id, UploadNote.phase == phase)
        total = db.scalar(select(func.count()).where(*where)) or 0
        items = list(
            db.scalars(
                select(UploadNote)
                .where(*where)
                .order_by(UploadNote.row, UploadNote.id)
                .offset((page - 1) * limit)
                .limit(limit)
            )
        )
    return items, int(total)


def all_notes(upload_id: int, phase: str) -> Iterable[UploadNote]:
    """Every note of one phase, in row order, read in slices (reports stream them)."""
    last_id = 0
    last_row = -1
    while True:
        with current_store().session() as db:
            batch = list(
                db.scalars(
                    select(UploadNote)
                    .where(UploadNote.upload_id == upload_id, UploadNote.phase == phase)
                    .where(
                        (UploadNote.row > last_row)
                        | ((UploadNote.row == last_row) & (UploadNote.id > last_id))
                    )
                    .order_by(UploadNote.row, UploadNote.id)
                    .limit(_INSERT_CHUNK)
                )
            )
        if not batch:
            return
        yield from batch
        last_row, last_id = batch[-1].row, batch[-1].id


def set_fields(upload_id: int, **values: Any) -> None:
    with current_store().session() as db:
        db.execute(update(UploadRecord).where(UploadRecord.id == upload_id).values(**values))


def mark_sending(upload_id: int, policy: str) -> None:
    set_fields(upload_id, status=SENDING, policy=policy, problem=None)


def mark_unknown(upload_id: int) -> None:
    set_fields(upload_id, status=UNKNOWN)


def mark_back_to_checked(upload_id: int, problem: str | None = None) -> None:
    set_fields(upload_id, status=CHECKED, problem=problem[:300] if problem else None)


def mark_sent(
    upload: UploadRecord, batch_id: str, sent: Sequence[tuple[int, tuple[str | int, ...]]], secret: bytes
) -> None:
    """The batch exists upstream: record it with the row map and the business keys of the rows sent."""
    keys = [
        {
            "partner_id": upload.partner_id,
            "upload_id": upload.id,
            "row": row,
            "field": name,
            "digest": key_digest(secret, name, value),
        }
        for row, payload in sent
        for name, value in payload_keys(upload.kind, payload)
    ]
    stamp = now()
    with current_store().session() as db:
        db.execute(
            update(UploadRecord)
            .where(UploadRecord.id == upload.id)
            .values(
                status="queued",
                batch_id=batch_id,
                submitted_at=stamp,
                progress_at=stamp,
                sent_rows=len(sent),
                upstream_total=len(sent),
                source_rows=[row for row, _ in sent],
                staging_ref=None,
                problem=None,
            )
        )
        db.execute(delete(UploadKey).where(UploadKey.upload_id == upload.id))
        _insert_many(db, UploadKey, keys)


def store_results(upload_id: int, outcomes: Sequence[dict[str, Any]], failed_rows: Collection[int]) -> None:
    """The upstream's per-row outcomes; rows that failed upstream created nothing, so their keys are freed."""
    with current_store().session() as db:
        db.execute(delete(UploadNote).where(UploadNote.upload_id == upload_id, UploadNote.phase == UPSTREAM))
        _insert_many(db, UploadNote, list(outcomes))
        rows = list(failed_rows)
        for start in range(0, len(rows), _IN_CHUNK):
            db.execute(
                delete(UploadKey).where(
                    UploadKey.upload_id == upload_id, UploadKey.row.in_(rows[start : start + _IN_CHUNK])
                )
            )
        db.execute(update(UploadRecord).where(UploadRecord.id == upload_id).values(results_fetched=True))


def load(upload_id: int) -> UploadRecord | None:
    """An upload by id alone (background readers, which already checked the partner when they started)."""
    with current_store().session() as db:
        return db.get(UploadRecord, upload_id)
