"""Step-up: a fresh OTP before a sensitive action (PII reveal, close, grants, bulk submit, money).

One flow for every feature. A form that guards a sensitive action mixes in `StepUpMixin` and renders
`step_up_field(form)` from `_macros/step_up.html`; the view calls `complete_step_up(form)` before its upstream
call. When the operator is subject to OTP elevation and their tokens are not elevated, the code they typed is
traded upstream (`PUT /app/users/auth/otp`, purpose `elevation`) for an elevated token pair, which the
session keeps for the upstream's elevation lifetime — so a second sensitive action a minute later does not ask
again. The code itself is never stored, logged or sent back to the page.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from wtforms import StringField
from wtforms.validators import Optional, Regexp

from webapp.access import current_operator, signed_in
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cms import errors
from webapp.i18n import _
from webapp.logging_setup import security_event
from webapp.store.audit import record_event
from webapp.upstream import cms

bp = Blueprint("step_up", __name__, url_prefix="/step-up")

# An elevation about to lapse is treated as gone: the upstream call that follows must still see it valid.
ELEVATION_MARGIN_SECONDS = 10


def needs_step_up() -> bool:
    """True when the next sensitive action must carry a fresh code."""
    operator = current_operator()
    if operator is None or not operator.otp_elevation:
        return False
    tokens = SessionTokenHolder().load()
    return tokens is None or tokens.elevated_until <= time.time() + ELEVATION_MARGIN_SECONDS


class StepUpMixin:
    """Adds the `otp` field a sensitive form needs. WTForms collects fields from mixins too."""

    otp = StringField(
        "Code from your email",
        validators=[Optional(), Regexp(r"^[0-9]{6}$", message="Enter the 6-digit code.")],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"},
    )


def complete_step_up(form: Any, *, action: str) -> bool:
    """Elevate the session with the form's code when needed.

    False (with an error on `form.otp`) when the code is missing or refused; the caller then re-renders the
    form with everything else the operator typed."""
    if not needs_step_up():
        return True
    operator = current_operator()
    assert operator is not None  # needs_step_up() is False without an operator
    code = (form.otp.data or "").strip()
    form.otp.data = ""  # never render a code back
    if not code:
        form.otp.errors = [*form.otp.errors, _("This action needs a fresh code: send one and enter it.")]
        return False
    try:
        cms().auth.verify_otp(SessionTokenHolder(), operator.email, code, "elevation")
    except errors.ValidationFailed as exc:
        expired = exc.code == "8007"
        form.otp.errors = [
            *form.otp.errors,
            _("The code has expired. Send a new one.") if expired else _("The code is not valid."),
        ]
        security_event("step_up_failed", action=action, reason="expired" if expired else "invalid")
        record_event("step_up", outcome="failure", detail={"action": action})
        return False
    security_event("step_up", action=action)
    record_event("step_up", outcome="success", detail={"action": action})
    return True


@bp.route("/code", methods=["POST"])
@signed_in
def send_code() -> ResponseReturnValue:
    """Mail a fresh elevation code to the operator; answers a small status fragment for the form."""
    operator = current_operator()
    assert operator is not None  # the access gate guarantees it
    expires_in = cms().auth.request_otp(SessionTokenHolder(), operator.email, "elevation")
    record_event("step_up_code_sent", outcome="success")
    return render_template(
        "_macros/step_up_sent.html",
        minutes=max(1, expires_in // 60) if expires_in else None,
        email=mask_email(operator.email),
    )


def mask_email(email: str) -> str:
    """`a•••@demo.migo`: enough to recognise one's own address, not enough to harvest it."""
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"
