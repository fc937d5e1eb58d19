"""What the upload pages share: the operator, the staged files, the upload a URL names, and its detail page.

The detail page is rendered from here because three steps end on it: the page itself, a refused confirm
(`submit.py`) and an outcome the CMS left unknown.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import NotFound

from webapp.access import Operator
from webapp.cardholders.rules import message_text
from webapp.files.errors import FileProblem
from webapp.htmx import render
from webapp.parsing import parse_page
from webapp.store.uploads import DRY_RUN, IN_FLIGHT, TERMINAL, UPSTREAM, UploadRecord
from webapp.textmarks import gettext as _
from webapp.uploads import progress, records
from webapp.uploads.checking import CheckResult, workbook_sheets
from webapp.uploads.forms import ALL_OR_NOTHING, VALID_ONLY, SubmitForm
from webapp.uploads.staging import STAGING_DIR_NAME, StagedFile, UploadStaging

NOTES_PAGE_SIZE = 50
PII_PERMISSION = ("cardholders", "otp")  # the permission that reveals a cardholder's full personal data
KINDS = ("users", "cards")


def operator() -> Operator:
    signed_in: Operator = current_user  # the access gate guarantees it
    return signed_in


def staging() -> UploadStaging:
    return UploadStaging(Path(current_app.instance_path) / STAGING_DIR_NAME)


def kept_file(record: UploadRecord, partner_id: int) -> StagedFile | None:
    """The upload's own file while it is kept (any operator of the partner may reach it)."""
    if not record.staging_ref:
        return None
    return staging().load(record.staging_ref, operator_id=None, partner_id=partner_id)


def target(upload_id: int) -> str:
    """The audit target of an upload."""
    return f"upload:{upload_id}"


def page_arg() -> int:
    return parse_page(request.args.get("page"))


def kind_arg(raw: str | None) -> str:
    return raw if raw in KINDS else "users"


def upload_or_404(partner_id: int, upload_id: int) -> UploadRecord:
    record = records.get(partner_id, upload_id)
    if record is None:
        raise NotFound()
    return record


def file_message(problem: FileProblem) -> str:
    """The file layer's sentence translated, with where and which names (never cell values)."""
    text = _(problem.message)
    if problem.row is not None:
        text = _("Row %(row)s: %(problem)s", row=problem.row, problem=text)
    if problem.details:
        text = f"{text} ({', '.join(problem.details)})"
    return text


def rule_message(message: str | None) -> str:
    """A dry-run note's message in the reader's language (the phone's region one travels filled in)."""
    return message_text(message or "", _)


def counts(result: CheckResult | UploadRecord) -> dict[str, Any]:
    """The audit detail of a checked file: its kind and how many rows of each outcome."""
    return {
        "kind": result.kind,
        "total": result.total,
        "valid": result.valid,
        "invalid": result.invalid,
        "duplicate": result.duplicate,
    }


class Pages:
    """Just enough of `cms.pagination.Page` for the pager macro."""

    def __init__(self, page: int, total: int, limit: int) -> None:
        self.page = page
        self.total = total
        self.total_pages = max(1, math.ceil(total / limit))


def may_download_values(record: UploadRecord, signed_in: Operator) -> bool:
    """The report with the file's own values (full documents, phones, e-mails) is for the operator who
    uploaded it and for operators allowed to see personal data on the partner (the reveal permission)."""
    return record.actor_id == signed_in.id or signed_in.can(record.partner_id, *PII_PERMISSION)


def progress_state(record: UploadRecord) -> str:
    """What the progress block says: running, stalled ("still processing — refresh"), finishing or done."""
    if record.batch_id is None:
        return "unsent"
    if record.status in TERMINAL:
        return "done" if record.results_fetched else "finishing"
    if record.stalled_at is not None and not progress.lease_alive(record):
        return "stalled"
    return "running"


def render_detail(
    record: UploadRecord, partner_id: int, form: SubmitForm | None = None, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    """The dry-run report with the confirm form, or once sent the progress and the final report."""
    sent = record.batch_id is not None
    if form is None and not sent:
        form = SubmitForm(data={"policy": VALID_ONLY if record.valid else ALL_OR_NOTHING})
    phase = UPSTREAM if sent and record.results_fetched else DRY_RUN
    page = page_arg()
    notes, total = records.notes_page(record.id, phase, page, NOTES_PAGE_SIZE)
    staged = kept_file(record, partner_id)
    return render(
        "uploads/detail.html",
        status=status,
        upload=record,
        partner_id=partner_id,
        form=form,
        notes=notes,
        pages=Pages(page, total, NOTES_PAGE_SIZE),
        phase=phase,
        staged=staged,
        report_allowed=staged is None or may_download_values(record, operator()),
        in_flight=record.status in IN_FLIGHT,
        state=progress_state(record),
        sheets=workbook_sheets(staged.path, staged.file_name)
        if staged is not None and not sent and record.sheet and record.actor_id == operator().id
        else [],
        **extra,
    )
