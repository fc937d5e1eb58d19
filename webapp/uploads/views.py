"""Bulk-upload pages: the history, the new-upload form, the column mapping, the report and its progress.

Each route parses the request and hands over: choosing a file and its columns is `intake.py`, the confirm
step `submit.py`, the downloads `downloads.py`; what the pages share is in `pages.py`. Progress is read from
the console store, which a background job keeps (see `progress.py` and `follow.py`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for
from flask.typing import ResponseReturnValue

from webapp.access import requires
from webapp.auth.drafts import pop_draft
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cms import errors as cms_errors
from webapp.htmx import FORM_INVALID, hx_redirect, is_htmx, render
from webapp.logging_setup import security_event
from webapp.store.uploads import IN_FLIGHT, TERMINAL, UploadRecord
from webapp.textmarks import gettext as _
from webapp.translatable import N_
from webapp.uploads import follow, intake, progress, records
from webapp.uploads.forms import UploadForm
from webapp.uploads.pages import (
    Pages,
    kind_arg,
    operator,
    page_arg,
    progress_state,
    render_detail,
    rule_message,
    upload_or_404,
)

bp = Blueprint("uploads", __name__, url_prefix="/p/<int:partner_id>/uploads")

HISTORY_PAGE_SIZE = 25
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
        "status_label": lambda status: _(STATUS_LABELS.get(str(status), str(status))),
        "kind_label": lambda kind: _("Cards") if kind == "cards" else _("Cardholders"),
        "rule_message": rule_message,
    }


@bp.get("/")
@requires("bulk-create", "create")
def index(partner_id: int) -> ResponseReturnValue:
    page = page_arg()
    items, total = records.history(partner_id, page, HISTORY_PAGE_SIZE)
    return render(
        "uploads/index.html",
        partner_id=partner_id,
        items=items,
        pages=Pages(page, total, HISTORY_PAGE_SIZE),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("bulk-create", "create")
def new(partner_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        draft = pop_draft() or {}
        form = UploadForm(data={"kind": kind_arg(str(draft.get("kind") or ""))})
        return intake.render_new(form, partner_id)
    form = UploadForm()
    form.kind.data = kind_arg(form.kind.data)
    if not form.validate():
        return intake.render_new(form, partner_id, status=FORM_INVALID)
    return intake.receive(form, partner_id, operator())


@bp.route("/staged/<ref>/columns", methods=["GET", "POST"])
@requires("bulk-create", "create")
def columns(partner_id: int, ref: str) -> ResponseReturnValue:
    kind = kind_arg(request.args.get("kind"))
    sheet = request.args.get("sheet") or None
    return intake.columns_step(partner_id, ref, kind, sheet, operator(), posted=request.method == "POST")


@bp.get("/<int:upload_id>")
@requires("bulk-create", "create")
def detail(partner_id: int, upload_id: int) -> ResponseReturnValue:
    record = upload_or_404(partner_id, upload_id)
    if record.batch_id is not None and not (record.status in TERMINAL and record.results_fetched):
        _catch_up(record)
        record = upload_or_404(partner_id, upload_id)
    return render_detail(record, partner_id)


def _catch_up(record: UploadRecord) -> None:
    """A full page load asks the upstream for the batch status itself, then makes sure a follow runs."""
    try:
        progress.refresh_now(record, SessionTokenHolder())
    except cms_errors.SessionEnded:
        raise
    except cms_errors.CmsError as exc:
        security_event("upload_status_unavailable", error_class=type(exc).__name__, upload_id=record.id)
    fresh = records.load(record.id)
    if fresh is not None:
        follow.start(fresh, asked=True)  # even after a follow that gave up or lost its session


@bp.get("/<int:upload_id>/progress")
@requires("bulk-create", "create")
def poll(partner_id: int, upload_id: int) -> ResponseReturnValue:
    record = upload_or_404(partner_id, upload_id)
    state = progress_state(record)
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
        # Any node may enqueue the next follow; the lease keeps it to one reader. The state shown is the one
        # read above.
        follow.start(record)
    return render("uploads/_progress.html", upload=record, partner_id=partner_id, state=state)
