"""Step-up: a fresh OTP before a sensitive action (PII reveal, close, grants, bulk submit, money).

One flow for every feature. A form that guards a sensitive action mixes in `StepUpMixin` and renders
`step_up_field(form)` from `_macros/step_up.html`; the view calls `complete_step_up(form)` before its upstream
call. When the operator is subject to OTP elevation, the code they typed is traded upstream
(`PUT /app/users/auth/otp`, purpose `elevation`) for an elevated token pair.

How fresh is the console's call, whatever window the CMS allows: a code is asked when the last step-up made in
the console is older than `STEP_UP_MAX_AGE` seconds (default 0: every sensitive action asks), or when the
CMS's elevation has lapsed. Its time is kept in the server-side session; the sign-in code never
counts (signing in starts a new session without it). Sending codes and refused codes are rate limited per
operator and per IP (`STEP_UP_SEND_RATE_LIMIT`, `STEP_UP_RATE_LIMIT`); refusals count across codes, so asking
for a new code does not buy new guesses. The code itself is never stored, logged or sent back to the page.
"""

from __future__ import annotations

import time
from typing import Any, NoReturn

from flask import Blueprint, Response, current_app, g, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import TooManyRequests
from wtforms import StringField
from wtforms.validators import Optional, Regexp

from webapp import metrics
from webapp.access import Operator, signed_in
from webapp.auth.rate_limits import Refusal, step_up_limits
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cardholders.masking import mask_email
from webapp.cms import errors
from webapp.logging_setup import security_event
from webapp.store import submissions
from webapp.store.audit import record_event
from webapp.textmarks import N_
from webapp.textmarks import gettext as _
from webapp.upstream import cms

bp = Blueprint("step_up", __name__, url_prefix="/step-up")

# An elevation about to lapse is treated as gone: the upstream call that follows must still see it valid.
ELEVATION_MARGIN_SECONDS = 10
# When the operator last gave a code in the console (epoch seconds), in the server-side session.
STEP_UP_AT_KEY = "step_up_at"
# The last code the console had mailed: when, and until when the CMS said it holds (never the code itself).
# It lets the form tell "no code was sent yet" and "that code has expired" from a wrong code, whatever error
# code the CMS uses for each (docs/cms-api.md lists them as unknown).
STEP_UP_CODE_KEY = "step_up_code"

NOT_SENT_YET = N_("No code has been sent yet: press “Send code”, then enter the code from your email.")
ENTER_SENT_CODE = N_("Enter the code we sent to your email, or send a new one.")
EXPIRED = N_("The code has expired. Send a new one.")
WRONG = N_("The code is not valid: check the six digits, or send a new code.")


def needs_step_up() -> bool:
    """True when the next sensitive action must carry a fresh code: the console's own step-up is older than
    STEP_UP_MAX_AGE (or there is none), or the CMS's elevation has lapsed."""
    if not current_user.is_authenticated or not current_user.otp_elevation:
        return False
    now = time.time()
    tokens = SessionTokenHolder().load()
    if tokens is None or tokens.elevated_until <= now + ELEVATION_MARGIN_SECONDS:
        return True
    last = session.get(STEP_UP_AT_KEY)
    if isinstance(last, bool) or not isinstance(last, int | float):
        return True
    max_age = int(current_app.config.get("STEP_UP_MAX_AGE") or 0)
    return now - last >= max_age


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _rate_limited(operator: Operator, refusal: Refusal, *, step: str, action: str | None = None) -> NoReturn:
    """Answer 429 with Retry-After (the errors table's page, or the flash toast for htmx; the form stays)."""
    security_event(
        "step_up_rate_limited",
        step=step,
        action=action,
        email=operator.email,
        ip=_client_ip(),
        retry_after=refusal.retry_after,
    )
    record_event("step_up", outcome="rate_limited", detail={"step": step, "action": action})
    raise TooManyRequests(response=Response(status=429, headers={"Retry-After": str(refusal.retry_after)}))


def check_code_allowed(operator: Operator, *, action: str) -> None:
    """Raise a 429 before trying a code when this operator or IP has had too many codes refused."""
    refusal = step_up_limits().failures.check(operator=operator.email.lower(), ip=_client_ip())
    if refusal is not None:
        _rate_limited(operator, refusal, step="verify", action=action)


def count_refused_code(operator: Operator) -> None:
    """One more refused code for this operator and IP (whichever code it was)."""
    step_up_limits().failures.fail(operator=operator.email.lower(), ip=_client_ip())


class StepUpMixin:
    """Adds the `otp` field a sensitive form needs. WTForms collects fields from mixins too."""

    otp = StringField(
        N_("Code from your email"),
        validators=[Optional(), Regexp(r"^[0-9]{6}$", message=N_("Enter the 6-digit code."))],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"},
    )


def complete_step_up(form: Any, *, action: str, submission: tuple[str, str] | None = None) -> bool:
    """Elevate the session with the form's code when needed.

    `submission` (key, kind) names the form's exactly-once submission: a repeat of one already sent (a double
    click, a reload) calls nothing upstream, so it needs no new code and answers as the first one did.
    False (with an error on `form.otp`) when the code is missing or refused; the caller then re-renders the
    form with everything else the operator typed."""
    if g.get("step_up_done") or not needs_step_up():
        return True
    operator: Operator = current_user  # needs_step_up() is False without an operator
    if submission is not None and submissions.already_sent(
        submission[0], kind=submission[1], actor_id=operator.id
    ):
        form.otp.data = ""
        return True
    code = (form.otp.data or "").strip()
    form.otp.data = ""  # never render a code back
    sent = _code_sent()
    if not code:
        hint = _(ENTER_SENT_CODE) if sent else _(NOT_SENT_YET)
        needs = _("This action needs a fresh code.")
        form.otp.errors = [*form.otp.errors, f"{needs} {hint}"]
        return False
    check_code_allowed(operator, action=action)
    try:
        cms().auth.verify_otp(SessionTokenHolder(), operator.email, code, "elevation")
    except errors.ValidationFailed as exc:
        count_refused_code(operator)
        reason = _refusal_reason(exc, sent)
        message = {"not_sent": NOT_SENT_YET, "expired": EXPIRED}.get(reason, WRONG)
        form.otp.errors = [*form.otp.errors, _(message)]
        security_event("step_up_failed", action=action, reason=reason)
        record_event("step_up", outcome="failure", detail={"action": action, "reason": reason})
        metrics.count_step_up("failed")
        return False
    session.pop(STEP_UP_CODE_KEY, None)  # used: the next action needs a new one
    record_step_up(action)
    return True


def _code_sent() -> dict[str, float | None] | None:
    """The console's record of the last code it mailed in this session, if any."""
    found = session.get(STEP_UP_CODE_KEY)
    return found if isinstance(found, dict) else None


def _refusal_reason(exc: errors.ValidationFailed, sent: dict[str, float | None] | None) -> str:
    """`not_sent`, `expired` or `invalid`. The CMS's own code for a stale code (8007 in the sandbox) and the
    lifetime the CMS gave when sending both count as expired; nothing sent in this session is its own case."""
    if sent is None:
        return "not_sent"
    expires_at = sent.get("expires_at")
    if exc.code == "8007" or (isinstance(expires_at, int | float) and time.time() >= expires_at):
        return "expired"
    return "invalid"


def record_step_up(action: str) -> None:
    """A fresh code was accepted by the CMS for `action`: it covers this request, and the next sensitive
    actions for STEP_UP_MAX_AGE seconds."""
    session[STEP_UP_AT_KEY] = time.time()
    g.step_up_done = True
    security_event("step_up", action=action)
    record_event("step_up", outcome="success", detail={"action": action})


@bp.route("/code", methods=["POST"])
@signed_in
def send_code() -> ResponseReturnValue:
    """Mail a fresh elevation code to the operator; answers a small status fragment for the form."""
    operator: Operator = current_user  # the access gate guarantees it
    refusal = step_up_limits().send.hit(email=operator.email, ip=_client_ip())
    if refusal is not None:
        _rate_limited(operator, refusal, step="send")
    expires_in = cms().auth.request_otp(SessionTokenHolder(), operator.email, "elevation")
    now = time.time()
    session[STEP_UP_CODE_KEY] = {"sent_at": now, "expires_at": now + expires_in if expires_in else None}
    record_event("step_up_code_sent", outcome="success")
    metrics.count_step_up("sent")
    return render_template(
        "_macros/step_up_sent.html",
        minutes=max(1, expires_in // 60) if expires_in else None,
        email=mask_email(operator.email),
    )
