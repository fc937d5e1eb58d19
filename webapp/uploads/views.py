"""Bulk-upload pages: parse the request, check or send the file, render or redirect.

The file never travels twice: it is staged server-side at the first step and referred to by a random id.
The submit is exactly once: the upload row carries its own submission key (claimed before the upstream call,
sent as `Idempotency-Key`), so a double click, a reload or a retry after a lost answer replays instead of
creating a second batch. Progress is read from the console store (see `progress.py`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from flask import Response, current_app, flash, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import Forbidden, NotFound
from wtforms.fields.choices import SelectChoice

from webapp import metrics
from webapp.access import Operator, requires
from webapp.auth.drafts import pop_draft
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cardholders.rules import message_text
from webapp.cms import errors as cms_errors
from webapp.errors import page_for
from webapp.files import read_table
from webapp.files.errors import FileProblem, FileRejected, Reason
from webapp.files.excel_writer import write_cardholders_xlsx, write_xlsx
from webapp.files.export import content_disposition, csv_chunks, write_xlsx_export
from webapp.files.headers import header_key
from webapp.files.sniff import sniff
from webapp.formatting import display_zone
from webapp.htmx import hx_redirect, is_htmx, redirect, render
from webapp.logging_setup import security_event
from webapp.parsing import parse_int, parse_page
from webapp.step_up import complete_step_up
from webapp.store import submissions
from webapp.store.audit import record_event
from webapp.store.uploads import DRY_RUN, IN_FLIGHT, TERMINAL, UPSTREAM, UploadRecord
from webapp.textmarks import N_, ngettext
from webapp.textmarks import gettext as _
from webapp.uploads import bp, progress, records
from webapp.uploads.card_pool import free_cards
from webapp.uploads.checking import (
    KIND_FIELDS,
    MAX_FILE_BYTES,
    CheckResult,
    NeedsMapping,
    NeedsSheet,
    check_file,
    choose_mapping,
    inspect,
    missing_fields,
    read_header,
    workbook_sheets,
)
from webapp.uploads.forms import ALL_OR_NOTHING, VALID_ONLY, MappingForm, SubmitForm, UploadForm
from webapp.uploads.mapping import remember, remembered
from webapp.uploads.staging import STAGING_DIR_NAME, StagedFile, TooLarge, UploadStaging
from webapp.upstream import cms

NOTES_PAGE_SIZE = 50
PII_PERMISSION = ("cardholders", "otp")  # the permission that reveals a cardholder's full personal data
HISTORY_PAGE_SIZE = 25
KINDS = ("users", "cards")
STATUS_KIND = {
    "checked": "neutral",
    "sending": "info",
    "unknown": "warning",
    "queued": "info",
    "processing": "info",
    "completed": "ok",
    "failed": "danger",
}
STATUS_LABELS = {
    "checked": N_("Checked, not sent"),
    "sending": N_("Sending"),
    "unknown": N_("Outcome unknown"),
    "queued": N_("Queued"),
    "processing": N_("Processing"),
    "completed": N_("Completed"),
    "failed": "Failed",
}


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "status_kind": STATUS_KIND,
        "status_label": lambda status: _(STATUS_LABELS.get(str(status), str(status))),
        "kind_label": lambda kind: _("Cards") if kind == "cards" else _("Cardholders"),
        "rule_message": _rule_message,
    }


def _rule_message(message: str | None) -> str:
    """A dry-run note's message in the reader's language (the phone's region one travels filled in)."""
    return message_text(message or "", _)


# -- helpers ------------------------------------------------------------------------------------------------


def _operator() -> Operator:
    operator: Operator = current_user  # the access gate guarantees it
    return operator


def _staging() -> UploadStaging:
    return UploadStaging(Path(current_app.instance_path) / STAGING_DIR_NAME)


def _target(upload_id: int) -> str:
    return f"upload:{upload_id}"


def _page_arg() -> int:
    return parse_page(request.args.get("page"))


def _kind_arg(raw: str | None) -> str:
    return raw if raw in KINDS else "users"


def _upload_or_404(partner_id: int, upload_id: int) -> UploadRecord:
    record = records.get(partner_id, upload_id)
    if record is None:
        raise NotFound()
    return record


def _file_message(problem: FileProblem) -> str:
    """The file layer's sentence translated, with where and which names (never cell values)."""
    text = _(problem.message)
    if problem.row is not None:
        text = _("Row %(row)s: %(problem)s", row=problem.row, problem=text)
    if problem.details:
        text = f"{text} ({', '.join(problem.details)})"
    return text


class _Pages:
    """Just enough of `cms.pagination.Page` for the pager macro."""

    def __init__(self, page: int, total: int, limit: int) -> None:
        self.page = page
        self.total = total
        self.total_pages = max(1, math.ceil(total / limit))


# -- history ------------------------------------------------------------------------------------------------


@bp.get("/")
@requires("bulk-create", "create")
def index(partner_id: int) -> ResponseReturnValue:
    page = _page_arg()
    items, total = records.history(partner_id, page, HISTORY_PAGE_SIZE)
    return render(
        "uploads/index.html",
        partner_id=partner_id,
        items=items,
        pages=_Pages(page, total, HISTORY_PAGE_SIZE),
    )


# -- choose a file ------------------------------------------------------------------------------------------


def _render_new(form: UploadForm, partner_id: int, status: int = 200, **extra: Any) -> ResponseReturnValue:
    return render(
        "uploads/new.html",
        status=status,
        form=form,
        partner_id=partner_id,
        max_mb=MAX_FILE_BYTES // (1024 * 1024),
        **extra,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("bulk-create", "create")
def new(partner_id: int) -> ResponseReturnValue:
    operator = _operator()
    if request.method == "GET":
        draft = pop_draft() or {}
        form = UploadForm(data={"kind": _kind_arg(str(draft.get("kind") or ""))})
        return _render_new(form, partner_id)
    form = UploadForm()
    kind = _kind_arg(form.kind.data)
    form.kind.data = kind
    if not form.validate():
        return _render_new(form, partner_id, status=422)
    staging = _staging()
    staged = staging.load(form.staged_ref.data, operator_id=operator.id, partner_id=partner_id)
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", None):
        if staged is not None:
            staging.discard(staged.ref)
        try:
            staged = staging.stage(
                upload.stream,
                upload.filename,
                max_bytes=MAX_FILE_BYTES,
                operator_id=operator.id,
                partner_id=partner_id,
            )
        except TooLarge:
            form.file.errors = [_("The file is larger than 16 MB.")]
            return _render_new(form, partner_id, status=413)
    if staged is None:
        form.file.errors = [_("Choose a CSV, XLSX or XLS file.")]
        return _render_new(form, partner_id, status=422)
    sheet = form.sheet.data or None
    try:
        _sniffed, sheet = inspect(staged.path, file_name=staged.file_name, sheet=sheet, kind=kind)
        return _after_sheet(staged, kind, sheet, partner_id, operator)
    except NeedsSheet as needs:
        form.sheet.choices = [SelectChoice(name, name) for name in needs.names]
        form.staged_ref.data = staged.ref
        return _render_new(form, partner_id, status=200, choose_sheet=True, staged=staged)
    except FileRejected as rejected:
        names = workbook_sheets(staged.path, staged.file_name) if sheet else []
        if len(names) > 1 and rejected.reason_code == Reason.BAD_HEADER:
            # A sheet the operator picked lacks columns: keep the workbook so another sheet can be picked.
            form.sheet.choices = [SelectChoice(name, name) for name in names]
            form.staged_ref.data = staged.ref
            form.sheet.errors = [_file_message(rejected)]
            return _render_new(form, partner_id, status=422, choose_sheet=True, staged=staged)
        staging.discard(staged.ref)
        form.staged_ref.data = ""
        form.file.errors = [_file_message(rejected)]
        security_event("upload_file_rejected", reason=rejected.reason_code, partner_id=partner_id)
        return _render_new(form, partner_id, status=413 if rejected.reason_code == "too_large" else 422)


def _after_sheet(
    staged: StagedFile, kind: str, sheet: str | None, partner_id: int, operator: Operator
) -> ResponseReturnValue:
    """Header matched (as it is, or with a remembered mapping) → dry run; else the mapping step."""
    with staged.open() as stream:
        sniffed = sniff(stream, max_bytes=MAX_FILE_BYTES, file_name=staged.file_name)
    _row, header = read_header(staged.path, sniffed, sheet, file_name=staged.file_name)
    try:
        _match, mapping = choose_mapping(header, kind, remembered(partner_id, kind, header))
    except NeedsMapping:
        return redirect(
            url_for(".columns", partner_id=partner_id, ref=staged.ref, kind=kind, sheet=sheet or None)
        )
    upload_id = _check_and_record(staged, kind, sheet, mapping, partner_id, operator)
    return redirect(url_for(".detail", partner_id=partner_id, upload_id=upload_id))


def _check_and_record(
    staged: StagedFile,
    kind: str,
    sheet: str | None,
    mapping: dict[str, str] | None,
    partner_id: int,
    operator: Operator,
) -> int:
    result = check_file(
        staged.path,
        kind=kind,
        file_name=staged.file_name,
        sheet=sheet,
        mapping=mapping,
        known=records.known_digests(partner_id),
        secret=records.key_secret(),
        region=current_app.config["PHONE_REGION"],
        free_cards=free_cards(partner_id),
    )
    upload_id = records.create_checked(
        partner_id=partner_id,
        actor_id=operator.id,
        actor_name=operator.name,
        staged=staged,
        result=result,
        mapping=mapping,
        submission_key=submissions.new_key(),
    )
    record_event(
        "bulk_upload_checked",
        outcome="success",
        target=_target(upload_id),
        partner_id=partner_id,
        detail=_counts(result),
    )
    return upload_id


def _counts(result: CheckResult | UploadRecord) -> dict[str, Any]:
    return {
        "kind": result.kind,
        "total": result.total,
        "valid": result.valid,
        "invalid": result.invalid,
        "duplicate": result.duplicate,
    }


# -- column mapping -----------------------------------------------------------------------------------------


@bp.route("/staged/<ref>/columns", methods=["GET", "POST"])
@requires("bulk-create", "create")
def columns(partner_id: int, ref: str) -> ResponseReturnValue:
    operator = _operator()
    kind = _kind_arg(request.args.get("kind"))
    sheet = request.args.get("sheet") or None
    staged = _staging().load(ref, operator_id=operator.id, partner_id=partner_id)
    if staged is None:
        flash(_("The file is no longer kept. Choose it again."), "warning")
        return redirect(url_for(".new", partner_id=partner_id))
    try:
        sniffed, sheet = inspect(staged.path, file_name=staged.file_name, sheet=sheet)
        _row, header = read_header(staged.path, sniffed, sheet, file_name=staged.file_name)
    except (FileRejected, NeedsSheet):
        flash(_("The file can no longer be read. Choose it again."), "warning")
        return redirect(url_for(".new", partner_id=partner_id))
    fields = KIND_FIELDS[kind]
    form = MappingForm()
    chosen = _default_columns(header, fields)
    errors: dict[str, str] = {}
    problem: str | None = None
    if request.method == "POST":
        chosen = {name: request.form.get(f"col_{name}", "") for name in fields}
        valid = form.validate()
        mapping, errors = _mapping_from(chosen, header, fields)
        if valid and not errors:
            try:
                upload_id = _check_and_record(staged, kind, sheet, mapping, partner_id, operator)
            except FileRejected as rejected:
                problem = _file_message(rejected)
            else:
                remember(partner_id, kind, header, mapping, operator.id)
                return redirect(url_for(".detail", partner_id=partner_id, upload_id=upload_id))
    return render(
        "uploads/columns.html",
        status=422 if (errors or problem) else 200,
        form=form,
        partner_id=partner_id,
        staged=staged,
        kind=kind,
        sheet=sheet,
        header=[(str(index), text) for index, text in enumerate(header) if text.strip()],
        fields=fields,
        chosen=chosen,
        errors=errors,
        problem=problem,
        missing=missing_fields(header, kind),
    )


def _default_columns(header: Sequence[str], fields: Sequence[str]) -> dict[str, str]:
    by_key = {header_key(text): str(index) for index, text in reversed(list(enumerate(header)))}
    return {name: by_key.get(header_key(name), "") for name in fields}


def _mapping_from(
    chosen: dict[str, str], header: Sequence[str], fields: Sequence[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """{header text → field} from the operator's choices, or the errors per field."""
    errors: dict[str, str] = {}
    mapping: dict[str, str] = {}
    used: dict[int, str] = {}
    for name in fields:
        column = parse_int(chosen.get(name), minimum=0, maximum=len(header) - 1)
        if column is None or not header[column].strip():
            errors[name] = _("Choose the column that holds this field.")
            continue
        if column in used:  # by number, so "01" and "1" are the same column
            errors[name] = _("This column is already used for %(field)s.", field=used[column])
            continue
        used[column] = name
        mapping[header[column]] = name
    return mapping, errors


# -- the dry run, the confirm step and the report -----------------------------------------------------------


def _notes(record: UploadRecord, phase: str) -> tuple[list[Any], _Pages]:
    page = _page_arg()
    items, total = records.notes_page(record.id, phase, page, NOTES_PAGE_SIZE)
    return items, _Pages(page, total, NOTES_PAGE_SIZE)


def _render_detail(
    record: UploadRecord, partner_id: int, form: SubmitForm | None = None, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    sent = record.batch_id is not None
    if form is None and not sent:
        form = SubmitForm(data={"policy": VALID_ONLY if record.valid else ALL_OR_NOTHING})
    phase = UPSTREAM if sent and record.results_fetched else DRY_RUN
    notes, pages = _notes(record, phase)
    staged = (
        _staging().load(record.staging_ref, operator_id=None, partner_id=partner_id)
        if record.staging_ref
        else None
    )
    return render(
        "uploads/detail.html",
        status=status,
        upload=record,
        partner_id=partner_id,
        form=form,
        notes=notes,
        pages=pages,
        phase=phase,
        staged=staged,
        report_allowed=staged is None or may_download_values(record, _operator()),
        in_flight=record.status in IN_FLIGHT,
        state=_progress_state(record),
        sheets=workbook_sheets(staged.path, staged.file_name)
        if staged is not None and not sent and record.sheet and record.actor_id == _operator().id
        else [],
        **extra,
    )


@bp.get("/<int:upload_id>")
@requires("bulk-create", "create")
def detail(partner_id: int, upload_id: int) -> ResponseReturnValue:
    record = _upload_or_404(partner_id, upload_id)
    if record.batch_id is not None and not (record.status in TERMINAL and record.results_fetched):
        _catch_up(record)
        record = _upload_or_404(partner_id, upload_id)
    return _render_detail(record, partner_id)


def _catch_up(record: UploadRecord) -> None:
    """A full page load asks the upstream for the batch status itself, then makes sure a reader runs."""
    try:
        progress.refresh_now(record, SessionTokenHolder())
    except cms_errors.SessionEnded:
        raise
    except cms_errors.CmsError as exc:
        security_event("upload_status_unavailable", error_class=type(exc).__name__, upload_id=record.id)
    fresh = records.load(record.id)
    if fresh is not None:
        progress.ensure_reader(fresh, progress.session_holder())


@bp.post("/<int:upload_id>/submit")
@requires("bulk-create", "create")
def submit(partner_id: int, upload_id: int) -> ResponseReturnValue:
    operator = _operator()
    record = _upload_or_404(partner_id, upload_id)
    if record.batch_id is not None:
        flash(_("This file was already sent; here is its progress."), "info")
        return redirect(url_for(".detail", partner_id=partner_id, upload_id=upload_id))
    form = SubmitForm()
    if not form.validate():
        return _render_detail(record, partner_id, form, status=422)
    policy = form.policy.data if form.policy.data in (VALID_ONLY, ALL_OR_NOTHING) else VALID_ONLY
    if policy == ALL_OR_NOTHING and (record.invalid or record.duplicate):
        form.policy.errors = [
            _("The file has rows with problems. Fix them and upload it again, or send only the valid rows.")
        ]
        return _render_detail(record, partner_id, form, status=422)
    if not record.valid:
        form.policy.errors = [_("No row is valid: there is nothing to send.")]
        return _render_detail(record, partner_id, form, status=422)
    staging = _staging()
    staged = staging.load(record.staging_ref, operator_id=None, partner_id=partner_id)
    if staged is None:
        flash(_("The checked file is no longer kept. Upload it again."), "warning")
        return redirect(url_for(".new", partner_id=partner_id))
    if not complete_step_up(
        form, action="bulk_upload_submit", submission=(record.submission_key, "bulk_upload")
    ):
        return _render_detail(record, partner_id, form, status=422)
    key = record.submission_key
    earlier = submissions.claim(key, kind="bulk_upload", actor_id=operator.id, partner_id=partner_id)
    if earlier is not None:
        return _already_claimed(earlier, record, partner_id, form)
    records.mark_sending(record.id, policy)
    try:
        result, content = _converted(staged, record, partner_id)
    except FileRejected as rejected:
        submissions.release(key)
        records.mark_back_to_checked(record.id)
        return _render_detail(
            record,
            partner_id,
            form,
            status=422,
            problem={"title": N_("The file cannot be sent"), "message": _file_message(rejected)},
        )
    try:
        batch_id = cms().uploads.submit(
            SessionTokenHolder(), partner_id, record.kind, _sent_name(record), content, idempotency_key=key
        )
    except cms_errors.SessionEnded:
        submissions.release(key)
        records.mark_back_to_checked(record.id)
        raise
    except cms_errors.CmsError as exc:
        return _submit_failed(exc, key, record, partner_id, form)
    submissions.succeeded(key, batch_id)
    records.mark_sent(record, batch_id, result.accepted.rows, records.key_secret())
    staging.discard(staged.ref)
    metrics.count_upload("sent")
    record_event(
        "bulk_upload_submitted",
        outcome="success",
        target=_target(record.id),
        partner_id=partner_id,
        detail={**_counts(record), "sent": len(result.accepted), "policy": policy, "batchId": batch_id},
    )
    sent = records.load(record.id)
    if sent is not None:
        progress.ensure_reader(sent, progress.session_holder())
    flash(
        ngettext(
            "%(num)s row sent. The CMS is processing it now.",
            "%(num)s rows sent. The CMS is processing them now.",
            len(result.accepted),
        ),
        "success",
    )
    return redirect(url_for(".detail", partner_id=partner_id, upload_id=upload_id))


def _sent_name(record: UploadRecord) -> str:
    return f"upload-{record.id}.xlsx"


def _converted(staged: StagedFile, record: UploadRecord, partner_id: int) -> tuple[CheckResult, bytes]:
    """The rows to send (checked again, with the same validators) and the workbook that carries them.

    After a lost answer the workbook written then is sent again byte for byte (the idempotency key replays
    only an identical body)."""
    result = check_file(
        staged.path,
        kind=record.kind,
        file_name=staged.file_name,
        sheet=record.sheet,
        mapping=record.mapping,
        known=records.known_digests(partner_id),
        secret=records.key_secret(),
        region=current_app.config["PHONE_REGION"],
        free_cards=free_cards(partner_id),
    )
    if not len(result.accepted):
        raise FileRejected(Reason.EMPTY, "No row is valid: there is nothing to send.")
    if staged.converted.exists():
        return result, staged.converted.read_bytes()
    buffer = io.BytesIO()
    payloads = (payload for _row, payload in result.accepted)
    if record.kind == "users":
        write_cardholders_xlsx(payloads, buffer)
    else:
        write_xlsx(buffer, KIND_FIELDS["cards"], payloads, sheet_name="cards")
    content = buffer.getvalue()
    if len(content) > MAX_FILE_BYTES:
        raise FileRejected(
            Reason.TOO_LARGE, N_("The converted workbook is larger than 16 MB; split the file.")
        )
    _staging().save_converted(staged, content)
    return result, content


def _already_claimed(
    earlier: submissions.Submission, record: UploadRecord, partner_id: int, form: SubmitForm
) -> ResponseReturnValue:
    """A second confirm of the same upload (double click, reload, another tab): never a second batch."""
    if earlier.status == submissions.SUCCEEDED:
        return redirect(url_for(".detail", partner_id=partner_id, upload_id=record.id))
    problem = {
        "title": N_("Already being sent"),
        "message": _("This file is already being sent. Reload the page in a moment to see its progress."),
    }
    return _render_detail(record, partner_id, form, status=409, problem=problem)


def _submit_failed(
    exc: cms_errors.CmsError, key: str, record: UploadRecord, partner_id: int, form: SubmitForm
) -> ResponseReturnValue:
    detail = {"code": exc.code, "error": type(exc).__name__}
    if isinstance(exc, cms_errors.UpstreamTimeout) or exc.outcome_unknown:
        submissions.unknown(key)
        records.mark_unknown(record.id)
        metrics.count_upload("unknown")
        record_event(
            "bulk_upload_submitted",
            outcome="unknown",
            target=_target(record.id),
            partner_id=partner_id,
            detail=detail,
        )
        fresh = _upload_or_404(partner_id, record.id)
        return _render_detail(fresh, partner_id, form, status=504, outcome_unknown=True)
    submissions.release(key)
    records.mark_back_to_checked(record.id, exc.message)
    metrics.count_upload("failed")
    record_event(
        "bulk_upload_submitted",
        outcome="failure",
        target=_target(record.id),
        partner_id=partner_id,
        detail=detail,
    )
    if isinstance(exc, cms_errors.OtpRequired):
        form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
        return _render_detail(record, partner_id, form, status=403)
    page = page_for(exc)
    problem = {
        "title": page.title,
        "message": _(page.message),
        "code": exc.code,
        "upstream_message": exc.message if isinstance(exc, cms_errors.ApiError) else None,
    }
    return _render_detail(record, partner_id, form, status=page.status, problem=problem)


# -- progress -----------------------------------------------------------------------------------------------


def _progress_state(record: UploadRecord) -> str:
    """What the progress block says: running, stalled ("still processing — refresh"), finishing or done."""
    if record.batch_id is None:
        return "unsent"
    if record.status in TERMINAL:
        return "done" if record.results_fetched else "finishing"
    if record.stalled_at is not None and not progress.lease_alive(record):
        return "stalled"
    return "running"


@bp.get("/<int:upload_id>/progress")
@requires("bulk-create", "create")
def poll(partner_id: int, upload_id: int) -> ResponseReturnValue:
    record = _upload_or_404(partner_id, upload_id)
    state = _progress_state(record)
    if state == "done" and is_htmx():
        return hx_redirect(url_for(".detail", partner_id=partner_id, upload_id=upload_id))
    if state == "finishing" and not progress.lease_alive(record):
        try:
            progress.fetch_results(record, SessionTokenHolder())
        except cms_errors.SessionEnded:
            raise
        except cms_errors.CmsError:
            pass  # the next poll tries again
    elif record.status in IN_FLIGHT:
        # Any node may (re)start the reader; the lease keeps it to one. The state shown is the one read above.
        progress.ensure_reader(record, progress.session_holder())
    return render("uploads/_progress.html", upload=record, partner_id=partner_id, state=state)


# -- downloads ----------------------------------------------------------------------------------------------


def _format_or_404(fmt: str) -> None:
    if fmt not in ("csv", "xlsx"):
        raise NotFound()


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


def may_download_values(record: UploadRecord, operator: Operator) -> bool:
    """The report with the file's own values (full documents, phones, e-mails) is for the operator who
    uploaded it and for operators allowed to see personal data on the partner (the reveal permission)."""
    return record.actor_id == operator.id or operator.can(record.partner_id, *PII_PERMISSION)


@bp.get("/<int:upload_id>/errors.<fmt>")
@requires("bulk-create", "create")
def error_report(partner_id: int, upload_id: int, fmt: str) -> ResponseReturnValue:
    """While the file is kept: the rows with problems, as the operator wrote them, plus what to fix — ready
    to correct and upload again (uploader and personal-data operators only). Afterwards: the list of
    problems with values masked. Every download, and every refusal, is in the audit trail."""
    _format_or_404(fmt)
    record = _upload_or_404(partner_id, upload_id)
    staged = (
        _staging().load(record.staging_ref, operator_id=None, partner_id=partner_id)
        if record.staging_ref
        else None
    )
    if staged is not None and not may_download_values(record, _operator()):
        record_event(
            "bulk_upload_report_downloaded",
            outcome="denied",
            target=_target(record.id),
            partner_id=partner_id,
            detail={"format": fmt, "withValues": True},
        )
        security_event("upload_report_denied", partner_id=partner_id, upload_id=record.id)
        raise Forbidden()
    record_event(
        "bulk_upload_report_downloaded",
        outcome="success",
        target=_target(record.id),
        partner_id=partner_id,
        detail={"format": fmt, "withValues": staged is not None},
    )
    problems: dict[int, list[str]] = {}
    for note in records.all_notes(record.id, DRY_RUN):
        problems.setdefault(note.row, []).append(_note_text(note))
    if staged is not None:
        fields = KIND_FIELDS[record.kind]
        rows = _fixable_rows(staged, record, problems)
        return _download(f"upload-{record.id}-to-fix", fmt, ["row", *fields, "problems"], rows)
    masked = (
        (note.row, note.field or "", _rule_message(note.message), note.shown or "", note.first_row or "")
        for note in records.all_notes(record.id, DRY_RUN)
    )
    return _download(
        f"upload-{record.id}-problems",
        fmt,
        [_("Row"), _("Field"), _("Problem"), _("Value (masked)"), _("First row")],
        masked,
    )


def _note_text(note: Any) -> str:
    text = f"{note.field}: {_rule_message(note.message)}"
    if note.first_row:
        text += " " + _("(same as row %(row)s)", row=note.first_row)
    return text


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


@bp.get("/<int:upload_id>/results.<fmt>")
@requires("bulk-create", "create")
def results(partner_id: int, upload_id: int, fmt: str) -> ResponseReturnValue:
    _format_or_404(fmt)
    record = _upload_or_404(partner_id, upload_id)
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
