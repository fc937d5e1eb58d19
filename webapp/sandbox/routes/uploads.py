"""Bulk uploads (#14, #15): Excel files checked by content, rows processed by a background worker at a set
pace, progress over SSE (#16), and the batch status and per-row results the console reads afterwards.

A row passes exactly when the single create would accept the same values: cardholder rows go through
`create_cardholder`; card rows give a free card to an existing cardholder found by document.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import select as selectors
import socket
import threading
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, ParamSpec

from flask import Blueprint, Flask, Response, current_app, request
from python_calamine import CalamineWorkbook
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.sandbox import codes
from webapp.sandbox.cardholder_rules import CARD_UPLOAD_FIELDS, CREATE_FIELDS, card_assignment_problems
from webapp.sandbox.clock import utcnow
from webapp.sandbox.db import SessionFactory, begin_write, session
from webapp.sandbox.domain_models import BATCH_TERMINAL, Batch, BatchRow, Cardholder
from webapp.sandbox.envelope import ApiFailure, field_errors, ok, page
from webapp.sandbox.faults import active_sse_fault
from webapp.sandbox.guard import current_caller, guarded, idempotent, require_otp
from webapp.sandbox.models import CmsUser
from webapp.sandbox.platform_shapes import user_brief
from webapp.sandbox.routes.cardholders import assign_free_card, create_cardholder, paged, paging

bp = Blueprint("sandbox_uploads", __name__)
log = logging.getLogger(__name__)
P = ParamSpec("P")

UPLOAD_LIMIT = 16 * 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024
MAX_ZIP_ENTRIES = 10_000
MAX_UNCOMPRESSED = 256 * 1024 * 1024
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

TICK_SECONDS = 0.2
MAX_ROWS_PER_COMMIT = 500
POLL_SECONDS = 0.1
FRAME_MIN_GAP = 0.25
HEARTBEAT_SECONDS = 0.9
STREAM_MAX_SECONDS = 600
STALL_SECONDS = 60


# -- request size -------------------------------------------------------------------------------------------


def limited_body(max_file_bytes: int) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Refuse a body over the file limit (plus multipart overhead) before anything reads it: 413 8016.

    Place it between `@guarded` and `@idempotent`, since the idempotency check reads the body.
    """

    def decorate(view: Callable[P, Response]) -> Callable[P, Response]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            ceiling = max_file_bytes + MULTIPART_OVERHEAD
            if request.content_length is not None and request.content_length > ceiling:
                raise ApiFailure(codes.FILE_TOO_LARGE, field=None)
            request.max_content_length = ceiling  # also bounds a chunked body while it is parsed
            try:
                return view(*args, **kwargs)
            except RequestEntityTooLarge:
                raise ApiFailure(codes.FILE_TOO_LARGE) from None

        return wrapper

    return decorate


def safe_file_name(raw: str | None, fallback: str) -> str:
    """The user's name reduced to a harmless base name (no path, quotes or control characters)."""
    base = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if c.isprintable() and c not in "\"';<>")
    base = base.strip(" .")[:200]
    return base or fallback


def single_file(field: str) -> tuple[str | None, bytes]:
    """The name and bytes of the one file in multipart field `field`; 400 8015 naming the field otherwise."""
    files = request.files.getlist(field)
    if not files:
        raise ApiFailure(codes.INVALID_FILE, f"Send the file in the multipart field '{field}'.", field=field)
    if len(files) > 1:
        raise ApiFailure(codes.INVALID_FILE, f"Send exactly one file in '{field}'.", field=field)
    return files[0].filename, bytes(files[0].read())


# -- spreadsheets -------------------------------------------------------------------------------------------


def spreadsheet_kind(data: bytes) -> str | None:
    """`xlsx` (a zip holding `[Content_Types].xml` and `xl/` parts), `xls` (OLE2 header) or None.

    The zip directory is also bounded (entries, declared uncompressed size) before any part is inflated.
    """
    if data.startswith(OLE2_MAGIC):
        return "xls"
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names or not any(name.startswith("xl/") for name in names):
        return None
    if len(entries) > MAX_ZIP_ENTRIES or sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED:
        return None
    return "xlsx"


def cell_text(value: Any) -> str:
    """A cell as the text a person typed: whole numbers without `.0`, dates as `YYYY-MM-DD`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_sheet(data: bytes, columns: tuple[str, ...], field: str) -> list[dict[str, Any]]:
    """Rows of the first sheet as `{"row": <sheet row number>, "values": {column: value}}`.

    The first non-empty row is the header and must name exactly `columns` (any order); empty rows are skipped.
    `cardId` becomes an int when the cell holds a whole number, so the create rules see what JSON would carry.
    """
    try:
        grid = (
            CalamineWorkbook.from_filelike(io.BytesIO(data))
            .get_sheet_by_index(0)
            .to_python(skip_empty_area=False)
        )
    except Exception:  # calamine raises several error types for damaged files
        raise ApiFailure(codes.INVALID_FILE, "The spreadsheet cannot be read.", field=field) from None
    header_index = next((i for i, row in enumerate(grid) if any(cell_text(c) for c in row)), None)
    if header_index is None:
        raise ApiFailure(codes.INVALID_FILE, "The first sheet is empty.", field=field)
    header = {i: cell_text(c) for i, c in enumerate(grid[header_index]) if cell_text(c)}
    names = list(header.values())
    missing = [c for c in columns if c not in names]
    unknown = [n for n in names if n not in columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if missing or unknown or repeated:
        parts = []
        if missing:
            parts.append("missing columns: " + ", ".join(missing))
        if unknown:
            parts.append("unknown columns: " + ", ".join(unknown))
        if repeated:
            parts.append("repeated columns: " + ", ".join(repeated))
        raise ApiFailure(codes.INVALID_FILE, "Bad header row (" + "; ".join(parts) + ").", field=field)
    rows = []
    for offset, raw in enumerate(grid[header_index + 1 :], start=header_index + 2):
        values: dict[str, Any] = {
            name: cell_text(raw[i]) if i < len(raw) else "" for i, name in header.items()
        }
        if not any(values.values()):
            continue
        card = values.get("cardId", "")
        if isinstance(card, str) and card.isdigit():
            values["cardId"] = int(card)
        rows.append({"row": offset, "values": values})
    if not rows:
        raise ApiFailure(codes.INVALID_FILE, "The sheet has no data rows.", field=field)
    return rows


# -- the worker ---------------------------------------------------------------------------------------------


def process_card_row(partner_id: int, values: dict[str, Any]) -> int:
    """Give the row's free card to the cardholder with that document; answers the cardholder id."""
    problems = card_assignment_problems(values)
    if problems:
        raise field_errors(codes.CHECK_PARAMETERS, problems)
    holder = session.scalars(
        select(Cardholder).where(
            Cardholder.partner_id == partner_id,
            Cardholder.document_type == str(values["documentType"]).strip(),
            Cardholder.document_number == str(values["documentNumber"]).strip(),
        )
    ).first()
    if holder is None:
        raise ApiFailure(codes.CARDHOLDER_NOT_FOUND, field="documentNumber")
    if holder.status == "closed":
        raise ApiFailure(codes.INVALID_STATE, "The cardholder is closed.", field="documentNumber")
    assign_free_card(partner_id, int(values["cardId"]), holder.id)
    return holder.id


def _process_row(batch: Batch, item: dict[str, Any]) -> BatchRow:
    try:
        with session.begin_nested():
            if batch.type == "cards":
                holder_id = process_card_row(batch.partner_id, item["values"])
            else:
                holder_id = create_cardholder(batch.partner_id, item["values"]).id
    except ApiFailure as failure:
        return BatchRow(batch_id=batch.id, row=item["row"], status="failed", errors=list(failure.errors))
    return BatchRow(batch_id=batch.id, row=item["row"], status="created", cardholder_id=holder_id, errors=[])


def _rows_per_second() -> float:
    return max(float(current_app.config.get("SANDBOX_BATCH_ROWS_PER_SECOND", 200) or 200), 0.1)


def process_batch(batch_id: str) -> None:
    """Work through the stored rows at `SANDBOX_BATCH_ROWS_PER_SECOND` (read every tick, so a test can speed
    up a running batch), committing counters and row results together so readers never see them disagree.

    Terminal status: `completed` once every row is processed, `failed` when no row succeeded (or the worker
    broke).
    """
    batch = session.get(Batch, batch_id)
    if batch is None or batch.status in BATCH_TERMINAL:
        return
    batch.status = "processing"
    session.commit()
    rows = list(batch.rows)
    index = batch.processed
    while index < len(rows):
        started = time.monotonic()
        rate = _rows_per_second()
        chunk = rows[index : index + max(1, min(MAX_ROWS_PER_COMMIT, round(rate * TICK_SECONDS)))]
        begin_write()  # checks and inserts of this chunk see no other writer in between
        for item in chunk:
            outcome = _process_row(batch, item)
            session.add(outcome)
            batch.processed += 1
            if outcome.status == "created":
                batch.succeeded += 1
            else:
                batch.failed += 1
        session.commit()
        index += len(chunk)
        pause = len(chunk) / rate - (time.monotonic() - started)
        if pause > 0 and index < len(rows):
            time.sleep(pause)
    batch.status = "completed" if batch.succeeded else "failed"
    batch.finished_at = utcnow()
    session.commit()


def _run(app: Flask, batch_id: str) -> None:
    with app.app_context():
        try:
            process_batch(batch_id)
        except Exception:
            log.exception("batch worker failed", extra={"batch_id": batch_id})
            session.rollback()
            broken = session.get(Batch, batch_id)
            if broken is not None and broken.status not in BATCH_TERMINAL:
                broken.status = "failed"
                broken.finished_at = utcnow()
                session.commit()
        finally:
            session.remove()


def start_worker(app: Flask, batch_id: str) -> threading.Thread:
    """One daemon thread per batch: batches are few, and each paces itself."""
    worker = threading.Thread(target=_run, args=(app, batch_id), name=f"batch-{batch_id}", daemon=True)
    worker.start()
    return worker


def resume_batches(app: Flask) -> int:
    """Restart workers for batches a previous process left unfinished (call once at start-up)."""
    with app.app_context():
        try:
            pending = list(
                session.scalars(select(Batch.id).where(Batch.status.in_(("queued", "processing"))))
            )
        finally:
            session.remove()
    for batch_id in pending:
        start_worker(app, batch_id)
    return len(pending)


# -- upload routes ------------------------------------------------------------------------------------------


def accept_upload(partner_id: int, kind: str, field: str, columns: tuple[str, ...]) -> Response:
    file_name, data = single_file(field)
    if len(data) > UPLOAD_LIMIT:
        raise ApiFailure(codes.FILE_TOO_LARGE, field=field)
    if spreadsheet_kind(data) is None:
        raise ApiFailure(
            codes.INVALID_FILE, "The file must be an Excel workbook (.xlsx or .xls).", field=field
        )
    rows = read_sheet(data, columns, field)
    require_otp(request.form.get("otp"))
    batch = Batch(
        partner_id=partner_id,
        type=kind,
        status="queued",
        total=len(rows),
        created_by=current_caller().user.id,
        created_at=utcnow(),
        file_name=safe_file_name(file_name, f"{kind}.xlsx"),
        rows=rows,
    )
    session.add(batch)
    session.commit()
    start_worker(current_app._get_current_object(), batch.id)  # type: ignore[attr-defined]
    return ok({"id": batch.id})


def _bulk_create(view: Callable[..., Response]) -> Callable[..., Response]:
    """What both upload routes require, in this order: the bulk-create permission, the body limit, the key."""
    return guarded("bulk-create", "create")(limited_body(UPLOAD_LIMIT)(idempotent(view)))


@bp.post("/app/partners/<int:partner_id>/cardholders/upload")
@_bulk_create
def upload_cardholders(partner_id: int) -> Response:
    return accept_upload(partner_id, "cardholders", "users", CREATE_FIELDS)


@bp.post("/app/partners/<int:partner_id>/cards/upload")
@_bulk_create
def upload_cards(partner_id: int) -> Response:
    return accept_upload(partner_id, "cards", "cards", CARD_UPLOAD_FIELDS)


# -- batch status and results -------------------------------------------------------------------------------


def load_batch(partner_id: int, batch_id: str) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None or batch.partner_id != partner_id:
        raise ApiFailure(codes.BATCH_NOT_FOUND)
    return batch


@bp.get("/app/partners/<int:partner_id>/batches/<batch_id>")
@guarded("bulk-create", "create")
def batch_status(partner_id: int, batch_id: str) -> Response:
    batch = load_batch(partner_id, batch_id)
    creator = session.get(CmsUser, batch.created_by)
    return ok(batch.to_json(user_brief(creator) if creator else None))


@bp.get("/app/partners/<int:partner_id>/batches/<batch_id>/results")
@guarded("bulk-create", "create")
def batch_results(partner_id: int, batch_id: str) -> Response:
    batch = load_batch(partner_id, batch_id)
    page_no, limit = paging()
    query = select(BatchRow).where(BatchRow.batch_id == batch.id)
    status = request.args.get("status", "").strip()
    if status:
        if status not in ("created", "failed"):
            raise ApiFailure(codes.CHECK_PARAMETERS, "status must be created or failed", field="status")
        query = query.where(BatchRow.status == status)
    rows, total = paged(query, [BatchRow.row.asc()], page_no, limit)
    return ok(page([row.to_json() for row in rows], page=page_no, limit=limit, total=total))


# -- progress over SSE --------------------------------------------------------------------------------------


def _snapshot(batch_id: str, after_row_id: int) -> tuple[dict[str, Any], int]:
    """The frame for now and the newest failed-row id it covers; one short read transaction, so counters and
    errors agree and WAL never pins an old snapshot."""
    with SessionFactory() as reader:
        batch = reader.get(Batch, batch_id)
        assert batch is not None
        failed = list(
            reader.scalars(
                select(BatchRow)
                .where(BatchRow.batch_id == batch_id, BatchRow.status == "failed", BatchRow.id > after_row_id)
                .order_by(BatchRow.id)
            )
        )
        errors = [
            {"row": row.row, **{k: error[k] for k in ("code", "message", "field") if k in error}}
            for row in failed
            for error in row.errors
        ]
        frame = {
            "batchId": batch.id,
            "type": batch.type,
            "status": batch.status,
            "total": batch.total,
            "processed": batch.processed,
            "succeeded": batch.succeeded,
            "failed": batch.failed,
            "errors": errors,
        }
        return frame, (failed[-1].id if failed else after_row_id)


def _encode(frame: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(frame, ensure_ascii=False)}\n\n".encode()


def _client_gone(sock: socket.socket | None, wait: float) -> bool:
    """Wait up to `wait` seconds; True when the client has closed its side of the connection."""
    if sock is None:
        time.sleep(wait)
        return False
    try:
        readable, _, _ = selectors.select([sock], [], [], wait)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def progress_frames(
    batch_id: str, fault: dict[str, Any] | None, sock: socket.socket | None
) -> Iterator[bytes]:
    """Frames on change (at most four a second), a heartbeat frame every ~second, the terminal frame last.

    Faults: `sse_stall` sends one frame then holds the connection silent; `sse_drop` closes after `after`
    non-terminal frames (default 1); `sse_garbage` sends a non-JSON frame after `after` good ones, then goes
    on.
    """
    mode = fault["mode"] if fault else None
    after = int(fault.get("after", 1)) if fault else 0
    opened = time.monotonic()
    last_sent = 0.0
    last_key: tuple[Any, ...] | None = None
    cursor = 0
    sent = 0
    while time.monotonic() - opened < STREAM_MAX_SECONDS:
        frame, new_cursor = _snapshot(batch_id, cursor)
        key = (frame["status"], frame["processed"], frame["succeeded"], frame["failed"])
        terminal = frame["status"] in BATCH_TERMINAL
        since = time.monotonic() - last_sent
        due = (
            last_key is None
            or terminal
            or since >= HEARTBEAT_SECONDS
            or (key != last_key and since >= FRAME_MIN_GAP)
        )
        if not due:
            time.sleep(POLL_SECONDS)
            continue
        if mode == "sse_drop" and (terminal or sent >= after):
            return
        cursor, last_key, last_sent = new_cursor, key, time.monotonic()
        yield _encode(frame)
        sent += 1
        if mode == "sse_stall":
            deadline = time.monotonic() + float(fault.get("seconds", STALL_SECONDS) if fault else 0)
            while time.monotonic() < deadline and not _client_gone(sock, 0.5):
                pass
            return
        if mode == "sse_garbage" and sent == after:
            yield b"data: {this is not json\n\n"
        if terminal:
            return


@bp.get("/app/partners/<int:partner_id>/cardholders/batch/<batch_id>/progress")
@guarded("bulk-create", "create")
def progress(partner_id: int, batch_id: str) -> Response:
    batch = load_batch(partner_id, batch_id)
    fault = active_sse_fault()
    sock = request.environ.get("werkzeug.socket")
    stream = progress_frames(batch.id, fault, sock if isinstance(sock, socket.socket) else None)
    resp = Response(stream, status=200, content_type="text/event-stream")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["X-Accel-Buffering"] = "no"
    return resp
