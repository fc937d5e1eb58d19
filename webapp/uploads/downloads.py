"""The downloads of an upload, as CSV or XLSX (formula-safe): the rows to fix, and the per-row outcomes.

Each is a background job (kind `upload_report`): the request checks who may have it and records the audit
event, then answers at once with the job's panel (htmx) or its page; a worker reads the console store (never
the CMS) and writes the file into the job's private result file, however many rows the upload had.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from flask import Response, g, render_template, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import Forbidden, NotFound

from webapp.access import requires
from webapp.files import read_table
from webapp.files.export import attachment_filename, csv_chunks, write_xlsx_export
from webapp.formatting import display_zone
from webapp.htmx import is_htmx, redirect
from webapp.i18n import current_lang
from webapp.jobs import api as jobs_api
from webapp.jobs.kinds import KINDS, Counts, JobContext, Kind, register
from webapp.logging_setup import security_event
from webapp.store.audit import record_event
from webapp.store.uploads import DRY_RUN, UPSTREAM, UploadRecord
from webapp.textmarks import N_
from webapp.textmarks import gettext as _
from webapp.uploads import records
from webapp.uploads.checking import KIND_FIELDS, MAX_FILE_BYTES
from webapp.uploads.pages import kept_file, may_download_values, operator, rule_message, target, upload_or_404
from webapp.uploads.staging import StagedFile
from webapp.uploads.views import bp

KIND_NAME: Final = "upload_report"
ERRORS: Final = "errors"
RESULTS: Final = "results"
UPLOAD_GONE: Final = N_("the upload is no longer kept")
FILE_GONE: Final = N_("the uploaded file is no longer kept: ask for the report again for the masked one")


@bp.post("/<int:upload_id>/errors.<fmt>")
@requires("bulk-create", "create")
def error_report(partner_id: int, upload_id: int, fmt: str) -> ResponseReturnValue:
    """While the file is kept: the rows with problems, as the operator wrote them, plus what to fix — ready
    to correct and upload again (uploader and personal-data operators only). Afterwards: the list of
    problems with values masked. Every download asked for, and every refusal, is in the audit trail."""
    _format_or_404(fmt)
    record = upload_or_404(partner_id, upload_id)
    staged = kept_file(record, partner_id)
    _record_download(record, fmt, staged is not None)
    return _start(record, ERRORS, fmt, with_values=staged is not None)


@bp.post("/<int:upload_id>/results.<fmt>")
@requires("bulk-create", "create")
def results(partner_id: int, upload_id: int, fmt: str) -> ResponseReturnValue:
    _format_or_404(fmt)
    record = upload_or_404(partner_id, upload_id)
    if not record.results_fetched:
        raise NotFound()
    return _start(record, RESULTS, fmt, with_values=False)


def _start(record: UploadRecord, report: str, fmt: str, *, with_values: bool) -> ResponseReturnValue:
    """The report as a job of this operator on the upload's partner; a new job each minute (the same click
    twice is one job, a later ask a fresh file)."""
    params = {
        "upload": record.id,
        "report": report,
        "format": fmt,
        "values": with_values,
        "lang": current_lang(),
        "minute": f"{datetime.now(UTC):%Y%m%d%H%M}",
    }
    job = jobs_api.enqueue(KIND_NAME, params, operator(), record.partner_id)
    if is_htmx():
        panel = render_template("jobs/_panel.html", job=job, partner_id=record.partner_id, kinds=KINDS)
        return Response(panel)
    return redirect(url_for("jobs.detail", partner_id=record.partner_id, job_id=job.id))


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


class Counted:
    """Rows passing into the file, counted and reported as progress every REPORT_EVERY rows."""

    REPORT_EVERY = 2_000

    def __init__(self, context: JobContext, rows: Iterable[Sequence[Any]]) -> None:
        self.context, self.rows, self.written = context, rows, 0

    def __iter__(self) -> Iterator[Sequence[Any]]:
        for row in self.rows:
            yield row
            self.written += 1
            if self.written % self.REPORT_EVERY == 0:
                self.context.report_progress(self.written, None, {"rows": self.written})


def _report(record: UploadRecord, report: str, with_values: bool) -> tuple[str, list[str], Iterable[Any]]:
    """The report's file stem, header and rows, in the language of the request context."""
    if report == RESULTS:
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
        header = [_("Row"), _("Status"), _("Cardholder ID"), _("Field"), _("Code"), _("Message")]
        return f"upload-{record.id}-outcomes", header, rows
    if with_values:
        staged = kept_file(record, record.partner_id)
        if staged is None:
            raise LookupError(FILE_GONE)
        fields = KIND_FIELDS[record.kind]
        fixable = _fixable_rows(staged, record, _problems(record))
        return f"upload-{record.id}-to-fix", ["row", *fields, "problems"], fixable
    masked = (
        (note.row, note.field or "", rule_message(note.message), note.shown or "", note.first_row or "")
        for note in records.all_notes(record.id, DRY_RUN)
    )
    header = [_("Row"), _("Field"), _("Problem"), _("Value (masked)"), _("First row")]
    return f"upload-{record.id}-problems", header, masked


def run(context: JobContext) -> Counts:
    """Write one report of one upload into the job's file, in the language it was asked in."""
    params = context.params
    fmt = str(params["format"])
    with context.app.test_request_context("/"):
        g.lang = str(params.get("lang") or "en")
        record = records.get(int(context.partner_id or 0), int(params["upload"]))
        if record is None:
            context.fail(UPLOAD_GONE)
        try:
            stem, header, rows = _report(record, str(params["report"]), bool(params.get("values")))
        except LookupError as gone:
            context.fail(str(gone))
        counted = Counted(context, rows)
        with context.result_file(attachment_filename(stem, fmt)) as handle:
            if fmt == "csv":
                for chunk in csv_chunks(header, counted, zone=display_zone()):
                    handle.write(chunk)
            else:
                write_xlsx_export(handle, header, counted, sheet_name=stem[:31], zone=display_zone())
        context.report_progress(counted.written, counted.written, {"rows": counted.written})
    return {"rows": counted.written}


KIND = register(Kind(KIND_NAME, N_("Upload report"), run, count_labels={"rows": N_("Rows written")}))


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
