"""The downloads of an upload, as CSV or XLSX (formula-safe): the rows to fix, and the per-row outcomes."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask import Response, stream_with_context
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import Forbidden, NotFound

from webapp.access import requires
from webapp.files import read_table
from webapp.files.export import content_disposition, csv_chunks, write_xlsx_export
from webapp.formatting import display_zone
from webapp.logging_setup import security_event
from webapp.store.audit import record_event
from webapp.store.uploads import DRY_RUN, UPSTREAM, UploadRecord
from webapp.textmarks import gettext as _
from webapp.uploads import records
from webapp.uploads.checking import KIND_FIELDS, MAX_FILE_BYTES
from webapp.uploads.pages import kept_file, may_download_values, operator, rule_message, target, upload_or_404
from webapp.uploads.staging import StagedFile
from webapp.uploads.views import bp


@bp.get("/<int:upload_id>/errors.<fmt>")
@requires("bulk-create", "create")
def error_report(partner_id: int, upload_id: int, fmt: str) -> ResponseReturnValue:
    """While the file is kept: the rows with problems, as the operator wrote them, plus what to fix — ready
    to correct and upload again (uploader and personal-data operators only). Afterwards: the list of
    problems with values masked. Every download, and every refusal, is in the audit trail."""
    _format_or_404(fmt)
    record = upload_or_404(partner_id, upload_id)
    staged = kept_file(record, partner_id)
    _record_download(record, fmt, staged is not None)
    if staged is not None:
        fields = KIND_FIELDS[record.kind]
        rows = _fixable_rows(staged, record, _problems(record))
        return _download(f"upload-{record.id}-to-fix", fmt, ["row", *fields, "problems"], rows)
    masked = (
        (note.row, note.field or "", rule_message(note.message), note.shown or "", note.first_row or "")
        for note in records.all_notes(record.id, DRY_RUN)
    )
    return _download(
        f"upload-{record.id}-problems",
        fmt,
        [_("Row"), _("Field"), _("Problem"), _("Value (masked)"), _("First row")],
        masked,
    )


@bp.get("/<int:upload_id>/results.<fmt>")
@requires("bulk-create", "create")
def results(partner_id: int, upload_id: int, fmt: str) -> ResponseReturnValue:
    _format_or_404(fmt)
    record = upload_or_404(partner_id, upload_id)
    if not record.results_fetched:
        raise NotFound()
    rows = (
        (
            note.row,
            note.status,
            note.cardholder_id or "",
            note.field or "",
            note.code or "",
            note.message or "",
        )
        for note in records.all_notes(record.id, UPSTREAM)
    )
    return _download(
        f"upload-{record.id}-outcomes",
        fmt,
        [_("Row"), _("Status"), _("Cardholder ID"), _("Field"), _("Code"), _("Message")],
        rows,
    )


def _format_or_404(fmt: str) -> None:
    if fmt not in ("csv", "xlsx"):
        raise NotFound()


def _record_download(record: UploadRecord, fmt: str, with_values: bool) -> None:
    """The audit event of a report download; the file's own values only for those allowed to see them."""
    allowed = not with_values or may_download_values(record, operator())
    record_event(
        "bulk_upload_report_downloaded",
        outcome="success" if allowed else "denied",
        target=target(record.id),
        partner_id=record.partner_id,
        detail={"format": fmt, "withValues": with_values},
    )
    if not allowed:
        security_event("upload_report_denied", partner_id=record.partner_id, upload_id=record.id)
        raise Forbidden()


def _download(stem: str, fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    if fmt == "csv":
        # The rows are read from the store while the answer streams: keep the request (and app) context.
        chunks = csv_chunks(header, rows, zone=display_zone())
        response = Response(stream_with_context(chunks), mimetype="text/csv")
    else:
        buffer = io.BytesIO()
        write_xlsx_export(buffer, header, rows, sheet_name=stem[:31], zone=display_zone())
        response = Response(
            buffer.getvalue(),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response.headers["Content-Disposition"] = content_disposition(stem, fmt)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _problems(record: UploadRecord) -> dict[int, list[str]]:
    """What to fix in each row of the dry run, in the reader's language."""
    problems: dict[int, list[str]] = {}
    for note in records.all_notes(record.id, DRY_RUN):
        text = f"{note.field}: {rule_message(note.message)}"
        if note.first_row:
            text += " " + _("(same as row %(row)s)", row=note.first_row)
        problems.setdefault(note.row, []).append(text)
    return problems


def _fixable_rows(
    staged: StagedFile, record: UploadRecord, problems: dict[int, list[str]]
) -> Iterator[Sequence[Any]]:
    fields = KIND_FIELDS[record.kind]
    with staged.open() as stream:
        table = read_table(
            stream,
            file_name=staged.file_name,
            max_bytes=MAX_FILE_BYTES,
            fields=fields,
            mapping=record.mapping,
            sheet=record.sheet,
        )
        for row_number, values in table.records:
            found = problems.get(row_number)
            if found:
                yield (row_number, *[values.get(name, "") for name in fields], "; ".join(found))
