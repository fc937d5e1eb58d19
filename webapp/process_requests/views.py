"""Top-up pages: parse the form, call the CMS, render or redirect (Post/Redirect/Get).

Money moves here, so every write is exactly once (a submission key claimed before the upstream call and sent
as `Idempotency-Key`), needs a fresh code when the upstream wants one, is refused to the requester when it
is a decision (four eyes; the upstream refuses too), and lands in the audit trail whatever its outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, flash, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from webapp.access import Operator, requires
from webapp.auth.drafts import pop_draft
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cms import errors as cms_errors
from webapp.cms.models import Balance, ProcessRequest
from webapp.cms.pagination import Page
from webapp.errors import page_for
from webapp.formatting import locale_name, money
from webapp.history import history_lines
from webapp.htmx import redirect, render
from webapp.logging_setup import security_event
from webapp.parsing import parse_id
from webapp.process_requests import bp
from webapp.process_requests.amounts import example
from webapp.process_requests.evidence import (
    MAX_EVIDENCE_BYTES,
    MULTIPART_SLACK_BYTES,
    STAGING_DIR_NAME,
    EvidenceRejected,
    EvidenceStaging,
    StagedEvidence,
    read_capped,
)
from webapp.process_requests.forms import CancelForm, DecisionForm, TopUpForm
from webapp.process_requests.listing import (
    PAGE_SIZE,
    STATUS_KIND,
    STATUS_LABELS,
    STATUSES,
    ListFilters,
    parse_filters,
)
from webapp.process_requests.queue import decision_queue, may_decide
from webapp.process_requests.serving import evidence_response
from webapp.step_up import complete_step_up
from webapp.store import submissions
from webapp.store.audit import recent_events, record_event
from webapp.textmarks import N_, translate
from webapp.textmarks import gettext as _
from webapp.upstream import cms, offers

READERS = (("approvals", "detail"),)  # besides balance-management:list
BALANCE_READERS = (("balance-management", "list"), ("balance-management", "create"), ("approvals", "list"))
# Upstream field names → form field names, for errors shown beside a field.
FIELD_MAP = {
    "requestedAmount": "amount",
    "observations": "observations",
    "evidence": "evidence",
    "otp": "otp",
}
SELF_DECISION = "8019"
INVALID_STATE = "8020"
DEFAULT_CURRENCY = "GTQ"
EVENT_LABELS = {
    "process_request_created": N_("Request sent"),
    "process_request_approve": N_("Approval"),
    "process_request_reject": N_("Rejection"),
    "process_request_cancel": N_("Cancellation"),
    "process_request_evidence_viewed": N_("Evidence viewed"),
}


@bp.url_value_preprocessor
def _cap_request_body(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Runs before the CSRF check reads the form: a body too large to hold a 10 MB file is refused unread."""
    if endpoint == "process_requests.create" and request.method == "POST":
        request.max_content_length = MAX_EVIDENCE_BYTES + MULTIPART_SLACK_BYTES


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "status_kind": STATUS_KIND,
        "status_label": lambda status: translate(STATUS_LABELS.get(status, status)),
    }


# -- shared helpers ---------------------------------------------------------------------------------------


def _operator() -> Operator:
    operator: Operator = current_user  # the access gate guarantees it
    return operator


def _holder() -> SessionTokenHolder:
    return SessionTokenHolder()


def _target(request_id: int) -> str:
    return f"process_request:{request_id}"


def _staging() -> EvidenceStaging:
    return EvidenceStaging(Path(current_app.instance_path) / STAGING_DIR_NAME)


def _session_slot(partner_id: int) -> str:
    return f"topup_evidence:{partner_id}"


def _balance(operator: Operator, partner_id: int) -> Balance | None:
    """The partner balance, or None when the operator may not see it or the CMS does not answer for it."""
    if not operator.can_any(partner_id, BALANCE_READERS):
        return None
    try:
        return cms().partners.balance(_holder(), partner_id)
    except cms_errors.SessionEnded:
        raise
    except cms_errors.CmsError:
        return None


def _upstream_problem(exc: cms_errors.CmsError) -> dict[str, Any]:
    """A banner for a failure the form survives: the error table's wording plus the CMS's own code."""
    page = page_for(exc)
    security_event(
        page.log_event or "upstream_error",
        error_class=type(exc).__name__,
        upstream_status=exc.status,
        upstream_code=exc.code,
        method=request.method,
        path=request.path,
        status=page.status,
    )
    return {
        "status": page.status,
        "title": page.title,
        "message": page.message,
        "code": exc.code,
        "upstream_message": exc.message if isinstance(exc, cms_errors.ApiError) else None,
    }


def _outcome_unknown(exc: cms_errors.CmsError) -> bool:
    return isinstance(exc, cms_errors.UpstreamTimeout) or exc.outcome_unknown


def _apply_field_errors(form: Any, exc: cms_errors.CmsError) -> list[str]:
    """Put the CMS's field errors beside their fields; answers the messages that belong to no field."""
    loose: list[str] = []
    for item in exc.errors:
        name = FIELD_MAP.get(item.field or "", item.field or "")
        target = getattr(form, name, None) if name else None
        text = f"{item.message} ({item.code})" if item.code else item.message
        if target is not None and hasattr(target, "errors"):
            target.errors = [*list(target.errors), text]
        else:
            loose.append(text)
    if not exc.errors:
        loose.append(exc.message)
    return loose


# -- list -------------------------------------------------------------------------------------------------


@bp.get("/")
@requires("balance-management", "list", alternatives=[("approvals", "list")])
def index(partner_id: int) -> ResponseReturnValue:
    operator = _operator()
    filters = parse_filters(request.args)
    page = _queue_page(operator, partner_id, filters) if filters.awaiting_me else None
    if page is None:
        page = cms().process_requests.list(
            _holder(),
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
        balance=_balance(operator, partner_id),
        can_create=operator.can(partner_id, "balance-management", "create"),
    )


def _queue_page(operator: Operator, partner_id: int, filters: ListFilters) -> Page[ProcessRequest]:
    """The dashboard's "waiting for your decision": the same queue it counted, one page of it. Without the
    approve permission nothing waits for this operator, so the queue is empty rather than refused."""
    if not (may_decide(operator, partner_id) and offers("process-request-decisions")):
        return Page([], filters.page, PAGE_SIZE, 0, 0)
    queue = decision_queue(
        cms(), _holder(), partner_id, operator.id, date_from=filters.date_from, date_to=filters.date_to
    )
    return queue.page(filters.page, PAGE_SIZE)


# -- create -----------------------------------------------------------------------------------------------


def _currency(balance: Balance | None) -> str:
    return balance.currency if balance is not None else DEFAULT_CURRENCY


def _render_form(
    form: TopUpForm,
    partner_id: int,
    balance: Balance | None,
    staged: StagedEvidence | None,
    status: int = 200,
    **extra: Any,
) -> ResponseReturnValue:
    currency = _currency(balance)
    return render(
        "process_requests/new.html",
        status=status,
        form=form,
        partner_id=partner_id,
        balance=balance,
        staged=staged,
        currency=currency,
        amount_example=example(locale_name()),
        max_mb=MAX_EVIDENCE_BYTES // (1024 * 1024),
        **extra,
    )


def _adopt_upload(form: TopUpForm, operator: Operator, partner_id: int) -> StagedEvidence | None:
    """The evidence for this attempt: a newly chosen file (staged at once, replacing any earlier one) or the
    file kept from an earlier attempt. A refused new file leaves its error on the field."""
    staging = _staging()
    slot = _session_slot(partner_id)
    earlier = staging.load(
        form.evidence_ref.data or session.get(slot), operator_id=operator.id, partner_id=partner_id
    )
    upload = form.evidence.data
    if upload is None or not getattr(upload, "filename", ""):
        return earlier
    if earlier is not None:
        staging.discard(earlier.ref)
    session.pop(slot, None)
    try:
        staged = staging.stage(
            read_capped(upload.stream), upload.filename, operator_id=operator.id, partner_id=partner_id
        )
    except EvidenceRejected as exc:
        form.evidence.errors = [_(exc.message)]
        return None
    session[slot] = staged.ref
    return staged


def _forget_evidence(staged: StagedEvidence, partner_id: int) -> None:
    _staging().discard(staged.ref)
    session.pop(_session_slot(partner_id), None)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> ResponseReturnValue:
    """A body over the cap was refused before anything was read: say so on the form, not a bare 413 page."""
    partner_id = int((request.view_args or {}).get("partner_id", 0))
    form = TopUpForm(formdata=None)
    form.submission_key.data = submissions.new_key()
    form.evidence.errors = [_("The file is larger than 10 MB.")]
    return _render_form(form, partner_id, None, None, status=413)


@bp.route("/new", methods=["GET", "POST"])
@requires("balance-management", "create")
def create(partner_id: int) -> ResponseReturnValue:
    operator = _operator()
    balance = _balance(operator, partner_id)
    if request.method == "GET":
        form = TopUpForm(data=pop_draft(), currency=_currency(balance))
        if not submissions.is_valid_key(form.submission_key.data):
            form.submission_key.data = submissions.new_key()
        staged = _staging().load(
            form.evidence_ref.data or session.get(_session_slot(partner_id)),
            operator_id=operator.id,
            partner_id=partner_id,
        )
        form.evidence_ref.data = staged.ref if staged else ""
        return _render_form(form, partner_id, balance, staged)

    form = TopUpForm(currency=_currency(balance))
    if not submissions.is_valid_key(form.submission_key.data):
        form.submission_key.data = submissions.new_key()
    staged = _adopt_upload(form, operator, partner_id)
    file_errors = list(form.evidence.errors)
    valid = form.validate()
    form.evidence.errors = file_errors
    form.evidence_ref.data = staged.ref if staged else ""
    if staged is None and not file_errors:
        form.evidence.errors = [_("Choose the evidence file: PDF, JPEG, PNG or WEBP, up to 10 MB.")]
    if not valid or staged is None:
        return _render_form(form, partner_id, balance, staged, status=422)
    if not complete_step_up(
        form, action="process_request_create", submission=(str(form.submission_key.data), "process_request")
    ):
        return _render_form(form, partner_id, balance, staged, status=422)
    assert form.parsed_amount is not None  # validate() parsed it
    key = str(form.submission_key.data)
    earlier = submissions.claim(key, kind="process_request", actor_id=operator.id, partner_id=partner_id)
    if earlier is not None:
        return _already_claimed(earlier, form, partner_id, balance, staged)
    try:
        created = cms().process_requests.create(
            _holder(),
            partner_id,
            form.parsed_amount,
            form.observations.data or None,
            staged.file_name,
            staged.read(),
            staged.content_type,
            idempotency_key=key,
        )
    except cms_errors.SessionEnded:
        submissions.release(key)  # refused before anything was created; the draft keeps the form
        raise
    except cms_errors.CmsError as exc:
        return _create_failed(exc, key, form, partner_id, balance, staged)
    submissions.succeeded(key, str(created.id))
    _forget_evidence(staged, partner_id)
    record_event(
        "process_request_created",
        outcome="success",
        target=_target(created.id),
        partner_id=partner_id,
        detail={
            "amount": format(created.requested_amount, "f"),
            "currency": created.currency,
            "evidenceType": staged.content_type,
            "evidenceSize": staged.size,
        },
    )
    flash(
        _(
            "Top-up request #%(id)s for %(amount)s sent. Another operator must approve it.",
            id=created.id,
            amount=money(created.requested_amount, created.currency),
        ),
        "success",
    )
    return redirect(url_for(".detail", partner_id=partner_id, request_id=created.id))


def _already_claimed(
    earlier: submissions.Submission,
    form: TopUpForm,
    partner_id: int,
    balance: Balance | None,
    staged: StagedEvidence,
) -> ResponseReturnValue:
    """A second submit of the same form (double click, reload, back button): never a second request."""
    sent_id = parse_id(earlier.result_ref) if earlier.status == submissions.SUCCEEDED else None
    if sent_id is not None:
        _forget_evidence(staged, partner_id)
        flash(_("This request was already sent; here it is."), "info")
        return redirect(url_for(".detail", partner_id=partner_id, request_id=sent_id))
    if earlier.status == "foreign":
        form.submission_key.data = submissions.new_key()
    problem = {
        "status": 409,
        "title": N_("Already being sent"),
        "message": N_("This request is already being sent. Check the list before sending it again."),
        "code": None,
        "upstream_message": None,
    }
    return _render_form(form, partner_id, balance, staged, status=409, problem=problem)


def _create_failed(
    exc: cms_errors.CmsError,
    key: str,
    form: TopUpForm,
    partner_id: int,
    balance: Balance | None,
    staged: StagedEvidence,
) -> ResponseReturnValue:
    """Every failure keeps the form and the file; only a lost answer keeps the key claimed."""
    detail = {"code": exc.code, "error": type(exc).__name__}
    if _outcome_unknown(exc):
        submissions.unknown(key)
        record_event("process_request_created", outcome="unknown", partner_id=partner_id, detail=detail)
        problem = _upstream_problem(exc)
        return _render_form(
            form, partner_id, balance, staged, status=504, problem=problem, outcome_unknown=True
        )
    submissions.release(key)
    record_event("process_request_created", outcome="failure", partner_id=partner_id, detail=detail)
    if isinstance(exc, cms_errors.OtpRequired):
        form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
        return _render_form(form, partner_id, balance, staged, status=403)
    if isinstance(exc, cms_errors.ValidationFailed | cms_errors.Conflict | cms_errors.PayloadTooLarge):
        loose = _apply_field_errors(form, exc)
        if form.evidence.errors:  # the CMS refused the file itself: it must be chosen again
            _forget_evidence(staged, partner_id)
            form.evidence_ref.data = ""
            return _render_form(form, partner_id, balance, None, status=422, loose_errors=loose)
        return _render_form(form, partner_id, balance, staged, status=422, loose_errors=loose)
    problem = _upstream_problem(exc)
    return _render_form(form, partner_id, balance, staged, status=problem["status"], problem=problem)


# -- detail and evidence ----------------------------------------------------------------------------------


def _is_requester(operator: Operator, found: ProcessRequest) -> bool:
    return found.requested_by is not None and found.requested_by.id == operator.id


@bp.get("/<int:request_id>")
@requires("balance-management", "list", alternatives=READERS)
def detail(partner_id: int, request_id: int) -> ResponseReturnValue:
    operator = _operator()
    found = cms().process_requests.get(_holder(), partner_id, request_id)
    pending = found.status == "pending"
    own = _is_requester(operator, found)
    decisions = offers("process-request-decisions")
    return render(
        "process_requests/detail.html",
        partner_id=partner_id,
        item=found,
        own=own,
        can_decide=pending and decisions and operator.can(partner_id, "approvals", "update"),
        can_cancel=pending and decisions and operator.can(partner_id, "balance-management", "cancel"),
        decisions_offered=decisions,
        evidence_offered=offers("process-request-detail"),
        history=history_lines(
            recent_events(partner_id=partner_id, target=_target(request_id), limit=20), EVENT_LABELS
        ),
    )


def _serve_evidence(partner_id: int, request_id: int, mode: str) -> ResponseReturnValue:
    """The request's evidence through the console: the browser never talks to the CMS itself."""
    found = cms().process_requests.evidence(_holder(), partner_id, request_id)
    response = evidence_response(found, inline=mode == "preview")
    record_event(
        "process_request_evidence_viewed",
        outcome="success",
        target=_target(request_id),
        partner_id=partner_id,
        detail={"mode": mode, "contentType": response.mimetype, "size": len(found.content)},
    )
    return response


@bp.get("/<int:request_id>/evidence/preview")
@requires("balance-management", "list", alternatives=READERS)
def evidence_preview(partner_id: int, request_id: int) -> ResponseReturnValue:
    return _serve_evidence(partner_id, request_id, "preview")


@bp.get("/<int:request_id>/evidence/download")
@requires("balance-management", "list", alternatives=READERS)
def evidence_download(partner_id: int, request_id: int) -> ResponseReturnValue:
    return _serve_evidence(partner_id, request_id, "download")


# -- decisions --------------------------------------------------------------------------------------------

# Whole sentences per outcome: a sentence built from a translated verb reads wrong in Spanish.
DECIDED = {
    "reject": N_("Top-up request #%(id)s rejected."),
    "cancel": N_("Top-up request #%(id)s cancelled."),
}
ALREADY = {
    "approved": N_("This request is already approved."),
    "rejected": N_("This request is already rejected."),
    "cancelled": N_("This request is already cancelled."),
}


def _render_decision(
    action: str,
    form: DecisionForm | CancelForm,
    partner_id: int,
    found: ProcessRequest,
    status: int = 200,
    **extra: Any,
) -> ResponseReturnValue:
    operator = _operator()
    return render(
        "process_requests/decide.html",
        status=status,
        action=action,
        form=form,
        partner_id=partner_id,
        item=found,
        step_up=action != "cancel",
        # The decision needs one screen: the evidence (when this operator may open it) and the history.
        show_evidence=operator.can_any(partner_id, (("balance-management", "list"), *READERS)),
        evidence_offered=offers("process-request-detail"),
        history=history_lines(
            recent_events(partner_id=partner_id, target=_target(found.id), limit=20), EVENT_LABELS
        ),
        **extra,
    )


def _refuse_own_decision(action: str, partner_id: int, found: ProcessRequest, source: str) -> None:
    record_event(
        f"process_request_{action}",
        outcome="denied",
        target=_target(found.id),
        partner_id=partner_id,
        detail={"reason": "requester", "refusedBy": source},
    )
    security_event("authz_denied", reason="self_approval", path=request.path, method=request.method)


def _not_pending(partner_id: int, found: ProcessRequest) -> BaseResponse:
    flash(_(ALREADY.get(found.status) or N_("This request is no longer pending.")), "info")
    return redirect(url_for(".detail", partner_id=partner_id, request_id=found.id))


def _decide(action: str, partner_id: int, request_id: int) -> ResponseReturnValue:
    cms().capabilities.require("process-request-decisions")  # known missing: explain before any form
    operator = _operator()
    found = cms().process_requests.get(_holder(), partner_id, request_id)
    form: DecisionForm | CancelForm = (
        CancelForm() if action == "cancel" else DecisionForm(reason_required=action == "reject")
    )
    if found.status != "pending":
        return _not_pending(partner_id, found)
    if action != "cancel" and _is_requester(operator, found):
        _refuse_own_decision(action, partner_id, found, source="console")
        return _render_decision(action, form, partner_id, found, status=403, own=True)
    if request.method == "GET":
        form.submission_key.data = submissions.new_key()
        return _render_decision(action, form, partner_id, found)
    if not submissions.is_valid_key(form.submission_key.data):
        form.submission_key.data = submissions.new_key()
    if not form.validate():
        return _render_decision(action, form, partner_id, found, status=422)
    if isinstance(form, DecisionForm) and not complete_step_up(
        form,
        action=f"process_request_{action}",
        submission=(str(form.submission_key.data), f"process_request_{action}"),
    ):
        return _render_decision(action, form, partner_id, found, status=422)
    key = str(form.submission_key.data)
    earlier = submissions.claim(
        key, kind=f"process_request_{action}", actor_id=operator.id, partner_id=partner_id
    )
    if earlier is not None:
        if earlier.status == submissions.SUCCEEDED:
            return redirect(url_for(".detail", partner_id=partner_id, request_id=request_id))
        form.submission_key.data = submissions.new_key()
        problem = {
            "status": 409,
            "title": N_("Already being sent"),
            "message": N_("This decision is already being sent. Reload the request before trying again."),
            "code": None,
            "upstream_message": None,
        }
        return _render_decision(action, form, partner_id, found, status=409, problem=problem)
    reason = form.reason.data or None
    resource = cms().process_requests
    try:
        if action == "approve":
            decided = resource.approve(_holder(), partner_id, request_id, reason)
        elif action == "reject":
            decided = resource.reject(_holder(), partner_id, request_id, reason or "")
        else:
            decided = resource.cancel(_holder(), partner_id, request_id, reason)
    except cms_errors.SessionEnded:
        submissions.release(key)
        raise
    except cms_errors.CmsError as exc:
        return _decision_failed(exc, action, key, form, partner_id, found)
    submissions.succeeded(key, str(decided.id))
    record_event(
        f"process_request_{action}",
        outcome="success",
        target=_target(decided.id),
        partner_id=partner_id,
        detail={"status": decided.status, "amount": format(decided.requested_amount, "f")},
    )
    _flash_decided(action, decided, partner_id)
    return redirect(url_for(".detail", partner_id=partner_id, request_id=request_id))


def _flash_decided(action: str, decided: ProcessRequest, partner_id: int) -> None:
    if action != "approve":
        flash(_(DECIDED[action], id=decided.id), "success")
        return
    balance = _balance(_operator(), partner_id)
    if balance is None:
        flash(_("Top-up request #%(id)s approved.", id=decided.id), "success")
        return
    flash(
        _(
            "Top-up request #%(id)s approved. The available balance is now %(balance)s.",
            id=decided.id,
            balance=money(balance.available, balance.currency),
        ),
        "success",
    )


def _decision_failed(
    exc: cms_errors.CmsError,
    action: str,
    key: str,
    form: DecisionForm | CancelForm,
    partner_id: int,
    found: ProcessRequest,
) -> ResponseReturnValue:
    event, target = f"process_request_{action}", _target(found.id)
    if _outcome_unknown(exc):
        submissions.unknown(key)
        record_event(event, outcome="unknown", target=target, partner_id=partner_id)
        problem = _upstream_problem(exc)
        return _render_decision(
            action, form, partner_id, found, status=504, problem=problem, outcome_unknown=True
        )
    submissions.release(key)
    form.submission_key.data = submissions.new_key()
    if exc.code == SELF_DECISION:
        _refuse_own_decision(action, partner_id, found, source="cms")
        return _render_decision(action, form, partner_id, found, status=403, own=True)
    record_event(event, outcome="failure", target=target, partner_id=partner_id, detail={"code": exc.code})
    if exc.code == INVALID_STATE:
        flash(_("This request was decided in the meantime; here is its current state."), "warning")
        return redirect(url_for(".detail", partner_id=partner_id, request_id=found.id))
    if isinstance(exc, cms_errors.OtpRequired) and isinstance(form, DecisionForm):
        form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
        return _render_decision(action, form, partner_id, found, status=403)
    if isinstance(exc, cms_errors.ValidationFailed):
        loose = _apply_field_errors(form, exc)
        return _render_decision(action, form, partner_id, found, status=422, loose_errors=loose)
    problem = _upstream_problem(exc)
    return _render_decision(action, form, partner_id, found, status=problem["status"], problem=problem)


@bp.route("/<int:request_id>/approve", methods=["GET", "POST"])
@requires("approvals", "update")
def approve(partner_id: int, request_id: int) -> ResponseReturnValue:
    return _decide("approve", partner_id, request_id)


@bp.route("/<int:request_id>/reject", methods=["GET", "POST"])
@requires("approvals", "update")
def reject(partner_id: int, request_id: int) -> ResponseReturnValue:
    return _decide("reject", partner_id, request_id)


@bp.route("/<int:request_id>/cancel", methods=["GET", "POST"])
@requires("balance-management", "cancel")
def cancel(partner_id: int, request_id: int) -> ResponseReturnValue:
    return _decide("cancel", partner_id, request_id)
