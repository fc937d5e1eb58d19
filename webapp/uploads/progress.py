"""Live progress of a sent batch: the upstream SSE stream is read server-side and recorded in the store.

Why a background reader and a store, not a stream to the browser: the operator's tokens must never reach the
browser, and any console node must be able to answer the next poll. So:

* At submit, the console enqueues a `bulk_follow` job (webapp/uploads/follow.py); a worker process runs
  `follow` below, which reads `cms().uploads.progress(...)` and writes every frame's counters into the
  upload's row. The follow holds a *lease* on that row (`reader_token`, `reader_lease_until`), renewed with
  every frame; a second follow (another node's, another operator's) sees the lease and waits. A worker that
  dies simply lets its lease lapse, and the retry of its own job takes it over at once.
* The browser polls a console endpoint every 2 s (htmx, `X-Background: 1`); that endpoint reads the row and,
  when the batch is not finished and no follow of the operator's runs, enqueues one — on whichever node it
  hits. A follow reads the stream again itself after a stall (webapp/uploads/follow.py).
* A stream silent for the idle timeout (30 s by default), or one that breaks, marks the row `stalled_at`:
  the page then says "still processing — refresh", never success or failure. A full page load asks the
  upstream for the batch status directly (`cms().uploads.batch`), which also serves as the fallback when no
  follow can run, and enqueues a new follow.
* On a terminal frame (or status) the follow fetches the per-row results into the store, once.

The follow's tokens: the operator's session record in the shared session store, which the request left for
the job (webapp/auth/job_session.py), so a token refresh done by the follow is seen by the operator's
requests and the other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from flask import Flask, current_app
from sqlalchemy import or_, update

from webapp.cms import errors as cms_errors
from webapp.cms.auth import TokenHolder
from webapp.cms.errors import ApiErrorItem
from webapp.cms.models import Batch, ProgressFrame, RowError
from webapp.cms.models.uploads import BatchCounts
from webapp.store import current_store
from webapp.store.uploads import IN_FLIGHT, TERMINAL, UPSTREAM, UploadRecord
from webapp.uploads import records
from webapp.upstream import cms

log = logging.getLogger(__name__)

DEFAULT_IDLE_SECONDS = 30.0
# A lease outlives the longest silence the reader waits through, so a slow stream is not read twice.
LEASE_GRACE_SECONDS = 15.0
MAX_STREAM_SECONDS = 3600.0
RESULTS_PAGE = 100


def idle_seconds(app: Flask | None = None) -> float:
    config = (app or current_app).config
    return float(config.get("UPLOADS_PROGRESS_IDLE_SECONDS") or DEFAULT_IDLE_SECONDS)


# -- the lease --------------------------------------------------------------------------------------------


def take_lease(upload_id: int, token: str, seconds: float, *, own_prefix: str | None = None) -> bool:
    """Take the reader lease of an unfinished upload: when nobody holds it, or (`own_prefix`) when an earlier
    attempt of the same follow holds it (a worker killed mid-follow: its retry resumes at once)."""
    now = records.now()
    free = or_(UploadRecord.reader_lease_until.is_(None), UploadRecord.reader_lease_until < now)
    if own_prefix is not None:
        free = or_(free, UploadRecord.reader_token.startswith(own_prefix, autoescape=True))
    with current_store().session() as db:
        result = db.execute(
            update(UploadRecord)
            .where(UploadRecord.id == upload_id, UploadRecord.status.in_(IN_FLIGHT), free)
            .values(reader_token=token, reader_lease_until=now + timedelta(seconds=seconds))
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def _release_lease(upload_id: int, token: str) -> None:
    with current_store().session() as db:
        db.execute(
            update(UploadRecord)
            .where(UploadRecord.id == upload_id, UploadRecord.reader_token == token)
            .values(reader_token=None, reader_lease_until=None)
        )


def lease_alive(upload: UploadRecord) -> bool:
    until = upload.reader_lease_until
    return until is not None and _aware(until) > records.now()


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything the console stores is UTC.
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- recording ----------------------------------------------------------------------------------------------


def _record_counts(upload_id: int, counts: BatchCounts, **extra: Any) -> None:
    """A batch's state and counts, as a progress frame or the batch itself told them, onto the upload."""
    values: dict[str, Any] = {
        "status": counts.status,
        "processed": counts.processed,
        "succeeded": counts.succeeded,
        "failed": counts.failed,
        "progress_at": records.now(),
        "stalled_at": None,
        **extra,
    }
    if counts.total:
        values["upstream_total"] = counts.total
    if counts.status in TERMINAL:
        values["finished_at"] = records.now()
    with current_store().session() as db:
        # Never move a finished upload back to running (a late frame from an older reader).
        db.execute(
            update(UploadRecord)
            .where(UploadRecord.id == upload_id, UploadRecord.status.not_in(TERMINAL))
            .values(**values)
        )


def record_frame(upload_id: int, frame: ProgressFrame, token: str | None, lease_seconds: float) -> None:
    extra: dict[str, Any] = {}
    if token is not None and not frame.terminal:
        extra["reader_lease_until"] = records.now() + timedelta(seconds=lease_seconds)
    _record_counts(upload_id, frame, **extra)


def record_batch(upload_id: int, batch: Batch) -> None:
    _record_counts(upload_id, batch)


def mark_stalled(upload_id: int) -> None:
    records.set_fields(upload_id, stalled_at=records.now())


def _source_row(upload: UploadRecord, upstream_row: int) -> int:
    """The operator's row number for a row of the converted file (header on row 1, data from row 2)."""
    source_rows = upload.source_rows or []
    index = upstream_row - 2
    return source_rows[index] if 0 <= index < len(source_rows) else upstream_row


def _failed(upload: UploadRecord, row: int, error: RowError | ApiErrorItem) -> dict[str, Any]:
    """One stored outcome of a row the CMS refused, with its reason cut to the store's column sizes."""
    return {
        "upload_id": upload.id,
        "phase": UPSTREAM,
        "row": row,
        "status": "failed",
        "field": (error.field or None) and str(error.field)[:40],
        "code": str(error.code or "")[:12] or None,
        "message": str(error.message or "")[:300],
    }


def store_frame_failures(upload: UploadRecord, failures: list[RowError]) -> None:
    """Per-row failures as the progress frames reported them: what there is when the CMS offers no
    batch-results read (capability `batch-status`)."""
    rows = [(_source_row(upload, error.row), error) for error in failures if error.row is not None]
    records.store_results(
        upload.id, [_failed(upload, row, error) for row, error in rows], {r for r, _ in rows}
    )


def fetch_results(upload: UploadRecord, holder: TokenHolder) -> None:
    """Every per-row outcome of a finished batch, mapped back to the operator's row numbers, stored once."""
    assert upload.batch_id is not None
    outcomes: list[dict[str, Any]] = []
    failed_rows: set[int] = set()
    page = 1
    while True:
        reply = cms().uploads.results(
            holder, upload.partner_id, upload.batch_id, page=page, limit=RESULTS_PAGE
        )
        for item in reply.items:
            row = _source_row(upload, item.row)
            base = {"upload_id": upload.id, "phase": UPSTREAM, "row": row}
            if item.status == "created":
                outcomes.append({**base, "status": "created", "cardholder_id": item.cardholder_id})
                continue
            failed_rows.add(row)
            outcomes.extend(_failed(upload, row, error) for error in item.errors or [])
            if not item.errors:
                outcomes.append({**base, "status": "failed"})
        if page >= reply.total_pages or not reply.items:
            break
        page += 1
    records.store_results(upload.id, outcomes, failed_rows)


def refresh_now(upload: UploadRecord, holder: TokenHolder) -> None:
    """Ask the upstream for the batch status directly (a page load, or no reader can run)."""
    if upload.batch_id is None:
        return
    try:
        batch = cms().uploads.batch(holder, upload.partner_id, upload.batch_id)
    except cms_errors.CapabilityMissing:
        return  # without a status read the progress stream is the only source (its reader keeps the row)
    record_batch(upload.id, batch)
    if batch.terminal and not upload.results_fetched:
        fetch_results(upload, holder)


# -- the follow ---------------------------------------------------------------------------------------------


class Ended(Enum):
    FINISHED = "finished"  # the batch ended and its results are in the store
    INTERRUPTED = "interrupted"  # silence, a broken stream, garbage: the batch goes on upstream regardless
    SESSION = "session"  # the operator's CMS session ended


def follow(
    app: Flask,
    upload_id: int,
    holder: TokenHolder,
    token: str,
    lease: float,
    on_frame: Callable[[UploadRecord], None] | None = None,
) -> Ended:
    """One follow of the progress stream under the lease `token` (taken by the caller), until the batch ends
    or the stream does; the lease is released and an unfinished upload marked stalled, however it ends.
    `on_frame` sees the upload after each frame (the job reports its progress there)."""
    finished = False
    ended = Ended.INTERRUPTED
    try:
        upload = records.load(upload_id)
        if upload is None or upload.batch_id is None:
            return ended
        frames = cms().uploads.progress(
            holder,
            upload.partner_id,
            upload.batch_id,
            idle_timeout=idle_seconds(app),
            max_duration=MAX_STREAM_SECONDS,
        )
        failures: list[RowError] = []
        for frame in frames:
            failures.extend(frame.errors)
            record_frame(upload_id, frame, token, lease)
            seen = records.load(upload_id) if on_frame is not None else None
            if on_frame is not None and seen is not None:
                on_frame(seen)
            if frame.terminal:
                finished = True
                break
        if finished:
            done = records.load(upload_id)
            if done is not None and not done.results_fetched:
                try:
                    fetch_results(done, holder)
                except cms_errors.CapabilityMissing:
                    store_frame_failures(done, failures)
            ended = Ended.FINISHED
    except cms_errors.CmsError as exc:
        # Silence, a broken stream, garbage, an ended session: the batch goes on upstream regardless.
        log.info(
            "upload_progress_interrupted",
            extra={"upload_id": upload_id, "error_class": type(exc).__name__, "finished": finished},
        )
        ended = Ended.SESSION if isinstance(exc, cms_errors.SessionEnded) else Ended.INTERRUPTED
    finally:
        current = records.load(upload_id)
        if current is not None and (current.status not in TERMINAL or not current.results_fetched):
            mark_stalled(upload_id)
            if ended is Ended.FINISHED:
                ended = Ended.INTERRUPTED
        _release_lease(upload_id, token)
    return ended
