"""What several top-up pages share: the signed-in operator, the partner balance, the request's audit target
and history, and the banner for a failure the form survives (templates/process_requests/_parts.html)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from flask import request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from webapp.access import Operator
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cms import errors as cms_errors
from webapp.cms.models import Balance, ProcessRequest
from webapp.errors import page_for
from webapp.history import HistoryLine, history_lines
from webapp.htmx import render
from webapp.logging_setup import security_event
from webapp.store import submissions
from webapp.store.audit import recent_events
from webapp.textmarks import N_
from webapp.upstream import cms

READERS = (("approvals", "detail"),)  # besides balance-management:list
BALANCE_READERS = (("balance-management", "list"), ("balance-management", "create"), ("approvals", "list"))
EVENT_LABELS = {
    "process_request_created": N_("Request sent"),
    "process_request_approve": N_("Approval"),
    "process_request_reject": N_("Rejection"),
    "process_request_cancel": N_("Cancellation"),
    "process_request_evidence_viewed": N_("Evidence viewed"),
}


def operator() -> Operator:
    signed_in: Operator = current_user  # the access gate guarantees it
    return signed_in


def holder() -> SessionTokenHolder:
    return SessionTokenHolder()


def target(request_id: int) -> str:
    """The audit target of a request (the events of its history box)."""
    return f"process_request:{request_id}"


def history(partner_id: int, request_id: int) -> list[HistoryLine]:
    return history_lines(
        recent_events(partner_id=partner_id, target=target(request_id), limit=20), EVENT_LABELS
    )


def is_requester(who: Operator, found: ProcessRequest) -> bool:
    return found.requested_by is not None and found.requested_by.id == who.id


def partner_balance(who: Operator, partner_id: int) -> Balance | None:
    """The partner balance, or None when the operator may not see it or the CMS does not answer for it."""
    if not who.can_any(partner_id, BALANCE_READERS):
        return None
    try:
        return cms().partners.balance(holder(), partner_id)
    except cms_errors.SessionEnded:
        raise
    except cms_errors.CmsError:
        return None


def upstream_problem(exc: cms_errors.CmsError) -> dict[str, Any]:
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


class FormPage(ABC):
    """A top-up form page (the request, a decision): the answers its write gives alike, whatever it is for."""

    form: Any
    partner_id: int
    template: ClassVar[str]

    @property
    def key(self) -> str:
        """The form's submission key (each top-up form carries one: webapp/process_requests/forms.py)."""
        return str(self.form.submission_key.data)

    @abstractmethod
    def context(self) -> dict[str, Any]:
        """What this page's template shows besides the form and the partner."""

    def render(self, status: int = 200, **extra: Any) -> ResponseReturnValue:
        """The page with its form, whatever became of the attempt; `extra` says what became of it (a banner,
        errors beside no field, the requester's own request)."""
        return render(
            self.template,
            status=status,
            form=self.form,
            partner_id=self.partner_id,
            **self.context(),
            **extra,
        )

    def being_sent(self, message: str, *, new_key: bool) -> ResponseReturnValue:
        """The same form is being sent right now (409): nothing was sent a second time. `new_key` when the
        form must not send this key again (someone else's, or a decision that may be tried afresh)."""
        if new_key:
            self.form.submission_key.data = submissions.new_key()
        problem = {
            "status": 409,
            "title": N_("Already being sent"),
            "message": message,
            "code": None,
            "upstream_message": None,
        }
        return self.render(status=409, problem=problem)

    def outcome_unknown(self, exc: cms_errors.CmsError) -> ResponseReturnValue:
        """No answer came back (504): the key stays claimed, so sending the form again replays the first
        write instead of making a second one."""
        return self.render(status=504, problem=upstream_problem(exc), outcome_unknown=True)
