"""Deciding a top-up request with four eyes: approve or reject (never the requester's own request, and with a
fresh code when the CMS wants one), or cancel; each decision is one write (webapp/submit_once.py).

The console refuses the requester before asking the CMS; the CMS refuses too (SELF_DECISION), and both
refusals read the same to the operator and leave a "denied" event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from webapp import submit_once as once
from webapp.cms import errors as cms_errors
from webapp.cms.models import ProcessRequest
from webapp.form_errors import place_cms_errors
from webapp.formatting import money
from webapp.htmx import FORM_INVALID, redirect, redirect_after_post
from webapp.logging_setup import security_event
from webapp.process_requests.forms import CancelForm, DecisionForm
from webapp.process_requests.page_parts import (
    READERS,
    FormPage,
    history,
    holder,
    is_requester,
    operator,
    partner_balance,
    target,
    upstream_problem,
)
from webapp.step_up import complete_step_up
from webapp.store import submissions
from webapp.store.audit import record_event
from webapp.textmarks import N_
from webapp.textmarks import gettext as _
from webapp.upstream import cms, offers

SELF_DECISION = "8019"
INVALID_STATE = "8020"
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


def decide(action: str, partner_id: int, request_id: int) -> ResponseReturnValue:
    """The confirmation page of `action` ("approve", "reject", "cancel") and its submit."""
    cms().capabilities.require("process-request-decisions")  # known missing: explain before any form
    found = cms().process_requests.get(holder(), partner_id, request_id)
    form: DecisionForm | CancelForm = (
        CancelForm() if action == "cancel" else DecisionForm(reason_required=action == "reject")
    )
    page = DecisionPage(action, form, partner_id, found)
    if found.status != "pending":
        return _not_pending(partner_id, found)
    if action != "cancel" and is_requester(operator(), found):
        page.refuse_own_decision(source="console")
        return page.render(status=403, own=True)
    if request.method == "GET":
        form.submission_key.data = submissions.new_key()
        return page.render()
    form.submission_key.data = once.fresh_key(form.submission_key.data)
    if not page.ready():
        return page.render(status=FORM_INVALID)
    return page.answer(once.submit_once(page.write(), page.key))


def _not_pending(partner_id: int, found: ProcessRequest) -> BaseResponse:
    flash(_(ALREADY.get(found.status) or N_("This request is no longer pending.")), "info")
    return redirect(url_for(".detail", partner_id=partner_id, request_id=found.id))


@dataclass
class DecisionPage(FormPage):
    """One decision on one pending request: its confirmation page, its write and what each outcome shows."""

    action: str
    form: DecisionForm | CancelForm
    partner_id: int
    found: ProcessRequest
    template = "process_requests/decide.html"

    @property
    def event(self) -> str:
        """The audit event and the submission kind step-up binds to (webapp/step_up.py)."""
        return f"process_request_{self.action}"

    def context(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "item": self.found,
            "step_up": self.action != "cancel",
            # The decision needs one screen: the evidence (when this operator may open it) and the history.
            "show_evidence": operator().can_any(self.partner_id, (("balance-management", "list"), *READERS)),
            "evidence_offered": offers("process-request-detail"),
            "history": history(self.partner_id, self.found.id),
        }

    def ready(self) -> bool:
        """Valid, and for approve/reject the step-up code accepted when one is needed."""
        if not self.form.validate():
            return False
        return not isinstance(self.form, DecisionForm) or complete_step_up(
            self.form, action=self.event, submission=(self.key, self.event)
        )

    def write(self) -> once.Write[ProcessRequest]:
        reason = self.form.reason.data or None
        resource, request_id = cms().process_requests, self.found.id

        def send() -> ProcessRequest:
            if self.action == "approve":
                return resource.approve(holder(), self.partner_id, request_id, reason)
            if self.action == "reject":
                return resource.reject(holder(), self.partner_id, request_id, reason or "")
            return resource.cancel(holder(), self.partner_id, request_id, reason)

        return once.Write(
            event=self.event,
            kind=self.event,
            partner_id=self.partner_id,
            send=send,
            ref=lambda decided: target(decided.id),
            target=target(request_id),
            success_detail=lambda decided: {
                "status": decided.status,
                "amount": format(decided.requested_amount, "f"),
            },
        )

    def answer(self, outcome: once.Outcome[ProcessRequest]) -> ResponseReturnValue:
        match outcome:
            case once.Created(value=decided):
                self._flash_decided(decided)
                return self._to_detail()
            case once.AlreadyDone():
                return self._to_detail()
            case once.InFlight():
                return self.being_sent(
                    N_("This decision is already being sent. Reload the request before trying again."),
                    new_key=True,
                )
            case once.Unknown(error=exc):
                return self.outcome_unknown(exc)
            case once.Refused(error=exc):
                return self._refused(exc)

    def _refused(self, exc: cms_errors.CmsError) -> ResponseReturnValue:
        self.form.submission_key.data = submissions.new_key()
        if exc.code == SELF_DECISION:
            self.refuse_own_decision(source="cms")
            return self.render(status=403, own=True)
        if exc.code == INVALID_STATE:
            flash(_("This request was decided in the meantime; here is its current state."), "warning")
            return self._to_detail()
        if isinstance(exc, cms_errors.OtpRequired) and isinstance(self.form, DecisionForm):
            self.form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
            return self.render(status=403)
        if isinstance(exc, cms_errors.ValidationFailed):
            return self.render(status=FORM_INVALID, loose_errors=place_cms_errors(self.form, exc))
        problem = upstream_problem(exc)
        return self.render(status=problem["status"], problem=problem)

    def refuse_own_decision(self, source: str) -> None:
        """Four eyes: the requester asked to decide their own request (`source` says who refused it)."""
        record_event(
            self.event,
            outcome="denied",
            target=target(self.found.id),
            partner_id=self.partner_id,
            detail={"reason": "requester", "refusedBy": source},
        )
        security_event("authz_denied", reason="self_approval", path=request.path, method=request.method)

    def _flash_decided(self, decided: ProcessRequest) -> None:
        if self.action != "approve":
            flash(_(DECIDED[self.action], id=decided.id), "success")
            return
        balance = partner_balance(operator(), self.partner_id)
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

    def _to_detail(self) -> ResponseReturnValue:
        return redirect_after_post(url_for(".detail", partner_id=self.partner_id, request_id=self.found.id))
