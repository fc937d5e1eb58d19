"""The confirm step of an upload: send the checked rows to the CMS as one batch, exactly once.

The upload row carries its own submission key (claimed before the upstream call, sent as `Idempotency-Key`),
so a double click, a reload or a retry after a lost answer replays instead of creating a second batch. The
send goes through the one write path (webapp/submit_once.py); what is particular to uploads (the row's
status, the metrics, the progress reader) follows its outcome here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import flash, url_for
from flask.typing import ResponseReturnValue

from webapp import metrics
from webapp.access import requires
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cms import errors as cms_errors
from webapp.errors import page_for
from webapp.files.errors import FileRejected, Reason
from webapp.htmx import FORM_INVALID, redirect
from webapp.step_up import complete_step_up
from webapp.store.uploads import UploadRecord
from webapp.submit_once import AlreadyDone, Created, InFlight, Refused, Unknown, Write, submit_once
from webapp.textmarks import gettext as _
from webapp.textmarks import ngettext
from webapp.translatable import N_
from webapp.uploads import progress, records
from webapp.uploads.checking import MAX_FILE_BYTES, CheckResult
from webapp.uploads.forms import ALL_OR_NOTHING, VALID_ONLY, SubmitForm
from webapp.uploads.intake import check_staged
from webapp.uploads.pages import (
    counts,
    file_message,
    kept_file,
    render_detail,
    staging,
    target,
    upload_or_404,
)
from webapp.uploads.staging import StagedFile
from webapp.uploads.views import bp
from webapp.uploads.workbooks import write_upload_workbook
from webapp.upstream import cms

ALREADY_BEING_SENT = N_("This file is already being sent. Reload the page in a moment to see its progress.")


@dataclass(frozen=True)
class Sent:
    """What the CMS took: its batch, and the rows that went in it."""

    batch_id: str
    result: CheckResult


@bp.post("/<int:upload_id>/submit")
@requires("bulk-create", "create")
def submit(partner_id: int, upload_id: int) -> ResponseReturnValue:
    record = upload_or_404(partner_id, upload_id)
    if record.batch_id is not None:
        flash(_("This file was already sent; here is its progress."), "info")
        return redirect(url_for(".detail", partner_id=partner_id, upload_id=upload_id))
    form = SubmitForm()
    if not _sendable(form, record):
        return render_detail(record, partner_id, form, status=FORM_INVALID)
    staged = kept_file(record, partner_id)
    if staged is None:
        flash(_("The checked file is no longer kept. Upload it again."), "warning")
        return redirect(url_for(".new", partner_id=partner_id))
    if not complete_step_up(
        form, action="bulk_upload_submit", submission=(record.submission_key, "bulk_upload")
    ):
        return render_detail(record, partner_id, form, status=FORM_INVALID)
    return _send(record, staged, _policy(form), partner_id, form)


def _policy(form: SubmitForm) -> str:
    return form.policy.data if form.policy.data in (VALID_ONLY, ALL_OR_NOTHING) else VALID_ONLY


def _sendable(form: SubmitForm, record: UploadRecord) -> bool:
    """Whether the confirm form may be sent as it is; if not, its errors say why."""
    if not form.validate():
        return False
    if _policy(form) == ALL_OR_NOTHING and (record.invalid or record.duplicate):
        form.policy.errors = [
            _("The file has rows with problems. Fix them and upload it again, or send only the valid rows.")
        ]
        return False
    if not record.valid:
        form.policy.errors = [_("No row is valid: there is nothing to send.")]
        return False
    return True


def _send(
    record: UploadRecord, staged: StagedFile, policy: str, partner_id: int, form: SubmitForm
) -> ResponseReturnValue:
    try:
        outcome = submit_once(_write(record, staged, policy, partner_id), record.submission_key)
    except FileRejected as rejected:
        records.mark_back_to_checked(record.id)
        problem = {"title": N_("The file cannot be sent"), "message": file_message(rejected)}
        return render_detail(record, partner_id, form, status=FORM_INVALID, problem=problem)
    except cms_errors.SessionEnded:
        records.mark_back_to_checked(record.id)
        raise
    match outcome:
        case Created(value=sent):
            return _sent(record, staged, sent, partner_id)
        case AlreadyDone():
            return redirect(url_for(".detail", partner_id=partner_id, upload_id=record.id))
        case InFlight():
            problem = {"title": N_("Already being sent"), "message": _(ALREADY_BEING_SENT)}
            return render_detail(record, partner_id, form, status=409, problem=problem)
        case Unknown():
            records.mark_unknown(record.id)
            metrics.count_upload("unknown")
            fresh = upload_or_404(partner_id, record.id)
            return render_detail(fresh, partner_id, form, status=504, outcome_unknown=True)
        case Refused(error=exc):
            return _refused(exc, record, partner_id, form)


def _write(record: UploadRecord, staged: StagedFile, policy: str, partner_id: int) -> Write[Sent]:
    """The batch sent under the upload's own key: the row is marked as sending first, and the workbook is
    made from the rows checked again now."""

    def send() -> Sent:
        records.mark_sending(record.id, policy)
        result, content = _converted(staged, record, partner_id)
        batch_id = cms().uploads.submit(
            SessionTokenHolder(),
            partner_id,
            record.kind,
            f"upload-{record.id}.xlsx",
            content,
            idempotency_key=record.submission_key,
        )
        return Sent(batch_id, result)

    def success_detail(sent: Sent) -> dict[str, Any]:
        sent_rows = len(sent.result.accepted)
        return {**counts(record), "sent": sent_rows, "policy": policy, "batchId": sent.batch_id}

    return Write(
        event="bulk_upload_submitted",
        kind="bulk_upload",
        partner_id=partner_id,
        send=send,
        ref=lambda sent: sent.batch_id,
        target=target(record.id),
        success_detail=success_detail,
    )


def _sent(record: UploadRecord, staged: StagedFile, sent: Sent, partner_id: int) -> ResponseReturnValue:
    records.mark_sent(record, sent.batch_id, sent.result.accepted.rows, records.key_secret())
    staging().discard(staged.ref)
    metrics.count_upload("sent")
    fresh = records.load(record.id)
    if fresh is not None:
        progress.ensure_reader(fresh, progress.session_holder())
    rows = len(sent.result.accepted)
    flash(
        ngettext(
            "%(num)s row sent. The CMS is processing it now.",
            "%(num)s rows sent. The CMS is processing them now.",
            rows,
        ),
        "success",
    )
    return redirect(url_for(".detail", partner_id=partner_id, upload_id=record.id))


def _refused(
    exc: cms_errors.CmsError, record: UploadRecord, partner_id: int, form: SubmitForm
) -> ResponseReturnValue:
    records.mark_back_to_checked(record.id, exc.message)
    metrics.count_upload("failed")
    if isinstance(exc, cms_errors.OtpRequired):
        form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
        return render_detail(record, partner_id, form, status=403)
    page = page_for(exc)
    problem = {
        "title": page.title,
        "message": _(page.message),
        "code": exc.code,
        "upstream_message": exc.message if isinstance(exc, cms_errors.ApiError) else None,
    }
    return render_detail(record, partner_id, form, status=page.status, problem=problem)


def _converted(staged: StagedFile, record: UploadRecord, partner_id: int) -> tuple[CheckResult, bytes]:
    """The rows to send (checked again, with the same validators) and the workbook that carries them.

    After a lost answer the workbook written then is sent again byte for byte (the idempotency key replays
    only an identical body)."""
    result = check_staged(staged, record.kind, record.sheet, record.mapping, partner_id)
    if not len(result.accepted):
        raise FileRejected(Reason.EMPTY, "No row is valid: there is nothing to send.")
    if staged.converted.exists():
        return result, staged.converted.read_bytes()
    buffer = io.BytesIO()
    write_upload_workbook(record.kind, (payload for _row, payload in result.accepted), buffer)
    content = buffer.getvalue()
    if len(content) > MAX_FILE_BYTES:
        raise FileRejected(
            Reason.TOO_LARGE, N_("The converted workbook is larger than 16 MB; split the file.")
        )
    staging().save_converted(staged, content)
    return result, content
