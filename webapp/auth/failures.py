"""What a refused sign-in step answers: the status, the message and the headers, chosen from the error class
the client raised, with the audit event and the security log line each refusal leaves.

None of them repeats the password or the code back into the page, and a wrong password, an unknown email, a
locked and an inactive account all read the same (SECURITY.md, "Sign-in failures").
"""

from __future__ import annotations

import math
from typing import Any

from flask import request, url_for
from werkzeug.wrappers import Response

from webapp.auth import sign_in
from webapp.auth.rate_limits import Refusal
from webapp.cms import errors
from webapp.htmx import redirect
from webapp.logging_setup import security_event
from webapp.store.audit import record_event
from webapp.textmarks import gettext as _
from webapp.textmarks import ngettext


def client_ip() -> str:
    return request.remote_addr or "unknown"


def wait_text(seconds: float | None) -> str:
    if seconds is None or seconds <= 0:
        return _("Try again in a few minutes.")
    if seconds < 90:
        return ngettext("Try again in %(num)s second.", "Try again in %(num)s seconds.", math.ceil(seconds))
    return ngettext("Try again in %(num)s minute.", "Try again in %(num)s minutes.", math.ceil(seconds / 60))


def rate_limited(step: str, email: str, refusal: Refusal) -> dict[str, Any]:
    record_event("sign_in", outcome="rate_limited", target=email, detail={"step": step}, actor_email=email)
    security_event(
        "auth_rate_limited", step=step, email=email, ip=client_ip(), retry_after=refusal.retry_after
    )
    return {
        "status": 429,
        "headers": {"Retry-After": str(refusal.retry_after)},
        "error": _("Too many attempts.") + " " + wait_text(refusal.retry_after),
    }


def refused_message() -> str:
    """The one answer to a refused password, whatever the reason (SECURITY.md, "Sign-in failures")."""
    return _(
        "The email or password is wrong, or this account cannot sign in right now. If you are sure of "
        "your password, look for a notice in your email or ask an administrator."
    )


def unavailable_message() -> str:
    return _("The CMS is not answering right now. Try again in a minute.")


def login_failure(email: str, exc: errors.CmsError) -> tuple[int, str, dict[str, str]]:
    """Status, message and headers for a refused password step.

    An unknown email, a wrong password, a locked account and an inactive one get the same status, text and
    headers (no `Retry-After` for a lock): the page must not tell anyone which accounts exist or are locked.
    The CMS's reason is kept for the audit trail and the security log only. An inactive operator is not told
    either, because the console cannot know whether the CMS checked the password before saying so."""
    if isinstance(exc, errors.Locked):
        record_event("sign_in", outcome="locked", target=email, actor_email=email)
        security_event("auth_locked", email=email, ip=client_ip())
        return 401, refused_message(), {}
    if isinstance(exc, errors.Inactive):
        record_event("sign_in", outcome="inactive", target=email, actor_email=email)
        security_event("auth_failure", reason="inactive", email=email, ip=client_ip())
        return 401, refused_message(), {}
    if isinstance(exc, errors.Unauthorized):
        record_event("sign_in", outcome="failure", target=email, actor_email=email)
        security_event("auth_failure", reason="bad_credentials", email=email, ip=client_ip())
        return 401, refused_message(), {}
    if isinstance(exc, errors.RateLimited):
        security_event("auth_upstream_rate_limited", email=email, ip=client_ip())
        retry = math.ceil(exc.retry_after) if exc.retry_after else 60
        return 429, _("Too many attempts.") + " " + wait_text(retry), {"Retry-After": str(retry)}
    security_event("auth_upstream_error", error=type(exc).__name__, ip=client_ip())
    return 503, unavailable_message(), {}


def otp_failure(email: str, exc: errors.CmsError) -> tuple[int, str, dict[str, str]] | Response:
    """A refused code: a message for the OTP page, or a response restarting the sign-in."""
    if isinstance(exc, errors.ValidationFailed):
        record_event(
            "sign_in_otp", outcome="failure", target=email, detail={"code": exc.code}, actor_email=email
        )
        security_event("otp_failure", email=email, ip=client_ip(), code=exc.code)
        if exc.code == "8007":
            return 400, _("That code has expired or was already used. Send a new code."), {}
        return 400, _("That code is wrong. Check the latest email and try again."), {}
    if isinstance(exc, errors.Locked | errors.Inactive):
        sign_in.drop_pending()
        status, message, headers = login_failure(email, exc)
        return status, message, headers
    if isinstance(exc, errors.Unauthorized):
        sign_in.drop_pending()
        security_event("otp_failure", email=email, ip=client_ip(), reason="pending_token_refused")
        return redirect(url_for("auth.login", reason="start_again"))
    if isinstance(exc, errors.RateLimited):
        retry = math.ceil(exc.retry_after) if exc.retry_after else 60
        return 429, _("Too many attempts.") + " " + wait_text(retry), {"Retry-After": str(retry)}
    security_event("auth_upstream_error", error=type(exc).__name__, ip=client_ip())
    return 503, unavailable_message(), {}


