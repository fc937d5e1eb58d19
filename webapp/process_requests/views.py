"""Top-up pages: the blueprint's routes, each parsing its input and handing over to the flow it belongs to.

Money moves here, so every write is exactly once (webapp/submit_once.py: a submission key claimed before the
upstream call and sent as `Idempotency-Key`), needs a fresh code when the upstream wants one, is refused to
the requester when it is a decision (four eyes, decisions.py), and lands in the audit trail whatever its
outcome. Asking for a top-up is requesting.py.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.access import Operator, requires
from webapp.cms.models import ProcessRequest
from webapp.cms.pagination import Page
from webapp.htmx import FORM_INVALID, render
from webapp.process_requests import page_parts as parts
from webapp.process_requests.decisions import decide
from webapp.process_requests.evidence import MAX_EVIDENCE_BYTES, MULTIPART_SLACK_BYTES
from webapp.process_requests.listing import PAGE_SIZE, STATUS_LABELS, STATUSES, ListFilters, parse_filters
from webapp.process_requests.queue import decision_queue, may_decide
from webapp.process_requests.requesting import blank_page, posted_page, too_large_page
from webapp.process_requests.serving import evidence_response
from webapp.store.audit import record_event
from webapp.submit_once import submit_once
from webapp.textmarks import translate
from webapp.upstream import cms, offers

bp = Blueprint("process_requests", __name__, url_prefix="/p/<int:partner_id>/top-ups")


@bp.url_value_preprocessor
def _cap_request_body(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Runs before the CSRF check reads the form: a body too large to hold a 10 MB file is refused unread."""
    if endpoint == "process_requests.create" and request.method == "POST":
        request.max_content_length = MAX_EVIDENCE_BYTES + MULTIPART_SLACK_BYTES


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"status_label": lambda status: translate(STATUS_LABELS.get(status, status))}


# -- list -------------------------------------------------------------------------------------------------


@bp.get("/")
@requires("balance-management", "list", alternatives=[("approvals", "list")])
def index(partner_id: int) -> ResponseReturnValue:
    who = parts.operator()
    filters = parse_filters(request.args)
    page = _queue_page(who, partner_id, filters) if filters.awaiting_me else None
    if page is None:
        page = cms().process_requests.list(
            parts.holder(),
            partner_id,
            page=filters.page,
            limit=PAGE_SIZE,
            status=filters.status,
            date_from=filters.date_from,
            date_to=filters.date_to,
        )
    return render(
        "process_requests/index.html",
        partner_id=partner_id,
        page=page,
        filters=filters,
        statuses=STATUSES,
        balance=parts.partner_balance(who, partner_id),
        can_create=who.can(partner_id, "balance-management", "create"),
    )


def _queue_page(who: Operator, partner_id: int, filters: ListFilters) -> Page[ProcessRequest]:
    """The dashboard's "waiting for your decision": the same queue it counted, one page of it. Without the
    approve permission nothing waits for this operator, so the queue is empty rather than refused."""
    if not (may_decide(who, partner_id) and offers("process-request-decisions")):
        return Page([], filters.page, PAGE_SIZE, 0, 0)
    queue = decision_queue(
        cms(), parts.holder(), partner_id, who.id, date_from=filters.date_from, date_to=filters.date_to
    )
    return queue.page(filters.page, PAGE_SIZE)


# -- create -----------------------------------------------------------------------------------------------


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> ResponseReturnValue:
    """A body over the cap was refused before anything was read: say so on the form, not a bare 413 page."""
    return too_large_page(int((request.view_args or {}).get("partner_id", 0))).render(status=413)


@bp.route("/new", methods=["GET", "POST"])
@requires("balance-management", "create")
def create(partner_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return blank_page(parts.operator(), partner_id).render()
    page = posted_page(parts.operator(), partner_id)
    if not page.ready():
        return page.render(status=FORM_INVALID)
    return page.answer(submit_once(page.write(), page.key))


# -- detail and evidence ----------------------------------------------------------------------------------


@bp.get("/<int:request_id>")
@requires("balance-management", "list", alternatives=parts.READERS)
def detail(partner_id: int, request_id: int) -> ResponseReturnValue:
    who = parts.operator()
    found = cms().process_requests.get(parts.holder(), partner_id, request_id)
    pending = found.status == "pending"
    decisions = offers("process-request-decisions")
    return render(
        "process_requests/detail.html",
        partner_id=partner_id,
        item=found,
        own=parts.is_requester(who, found),
        can_decide=pending and decisions and who.can(partner_id, "approvals", "update"),
        can_cancel=pending and decisions and who.can(partner_id, "balance-management", "cancel"),
        decisions_offered=decisions,
        evidence_offered=offers("process-request-detail"),
        history=parts.history(partner_id, request_id),
    )


def _serve_evidence(partner_id: int, request_id: int, mode: str) -> ResponseReturnValue:
    """The request's evidence through the console: the browser never talks to the CMS itself."""
    found = cms().process_requests.evidence(parts.holder(), partner_id, request_id)
    response = evidence_response(found, inline=mode == "preview")
    record_event(
        "process_request_evidence_viewed",
        outcome="success",
        target=parts.target(request_id),
        partner_id=partner_id,
        detail={"mode": mode, "contentType": response.mimetype, "size": len(found.content)},
    )
    return response


@bp.get("/<int:request_id>/evidence/preview")
@requires("balance-management", "list", alternatives=parts.READERS)
def evidence_preview(partner_id: int, request_id: int) -> ResponseReturnValue:
    return _serve_evidence(partner_id, request_id, "preview")


@bp.get("/<int:request_id>/evidence/download")
@requires("balance-management", "list", alternatives=parts.READERS)
def evidence_download(partner_id: int, request_id: int) -> ResponseReturnValue:
    return _serve_evidence(partner_id, request_id, "download")


# -- decisions (decisions.py) -----------------------------------------------------------------------------


@bp.route("/<int:request_id>/approve", methods=["GET", "POST"])
@requires("approvals", "update")
def approve(partner_id: int, request_id: int) -> ResponseReturnValue:
    return decide("approve", partner_id, request_id)


@bp.route("/<int:request_id>/reject", methods=["GET", "POST"])
@requires("approvals", "update")
def reject(partner_id: int, request_id: int) -> ResponseReturnValue:
    return decide("reject", partner_id, request_id)


@bp.route("/<int:request_id>/cancel", methods=["GET", "POST"])
@requires("balance-management", "cancel")
def cancel(partner_id: int, request_id: int) -> ResponseReturnValue:
    return decide("cancel", partner_id, request_id)
