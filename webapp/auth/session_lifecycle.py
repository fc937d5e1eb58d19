"""The signed-in operator's session: Flask-Login's user loader and sign-in redirect, idle and absolute
timeouts, ending a session, and the upstream-session-ended handler.

Runs before the shell's access gate, so an expired session is closed (and recorded) before anything reads it.
The user loader refuses an expired session too, so `current_user` is never a lapsed operator, whoever asks.
Background polls (`X-Background: 1`) are served but never count as activity, so a page left open with a poller
still times out.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlencode

from flask import Flask, current_app, g, request, session, url_for
from flask_login import logout_user
from werkzeug.wrappers import Response

from webapp.access import Operator
from webapp.auth import drafts
from webapp.auth.token_holder import adopt_newer_tokens
from webapp.cms.errors import SessionEnded
from webapp.extensions import login_manager
from webapp.htmx import hx_redirect, is_htmx, redirect
from webapp.logging_setup import security_event
from webapp.store.audit import record_event

BACKGROUND_HEADER = "X-Background"
PENDING_LOGIN_SECONDS = 600
# The signed-in operator's record in the server-side session (Operator.to_dict()); Flask-Login keeps the id.
OPERATOR_KEY = "operator"


# Activity is recorded at most this often, so a busy operator's clicks do not each rewrite the session record;
# the idle limit is therefore honoured to within this many seconds.
ACTIVITY_GRANULARITY_SECONDS = 5.0


def _now() -> float:
    return time.time()


def idle_seconds() -> int:
    return int(current_app.config.get("SESSION_IDLE_SECONDS", 900))


def absolute_seconds() -> int:
    return int(current_app.config.get("SESSION_ABSOLUTE_SECONDS", 28800))


def warning_seconds() -> int:
    return int(current_app.config.get("SESSION_WARNING_SECONDS", 120))


# Endpoints that only report on the session and so must never count as the operator's activity.
PASSIVE_ENDPOINTS = frozenset({"auth.session_status"})


def is_background_request() -> bool:
    return request.headers.get(BACKGROUND_HEADER) == "1" or request.endpoint in PASSIVE_ENDPOINTS


def remaining_seconds() -> int:
    """Seconds until this session ends by idleness or by its absolute limit, whichever comes first."""
    now = _now()
    last_seen = float(session.get("last_seen", now))
    created_at = float(session.get("created_at", now))
    left = min(idle_seconds() - (now - last_seen), absolute_seconds() - (now - created_at))
    return max(0, int(left))


def expired_by() -> Literal["idle", "absolute"] | None:
    """Which limit this session has passed, if any."""
    now = _now()
    if now - float(session.get("created_at", now)) >= absolute_seconds():
        return "absolute"
    if now - float(session.get("last_seen", now)) >= idle_seconds():
        return "idle"
    return None


def recorded_operator() -> Operator | None:
    """The operator record this session holds, expired or not (ending a session still needs to know whom)."""
    raw = session.get(OPERATOR_KEY)
    return Operator.from_dict(raw) if isinstance(raw, Mapping) else None


def load_operator(user_id: str) -> Operator | None:
    """Flask-Login's user loader: this session's own operator record, never one looked up by id elsewhere.

    None (anonymous) when the record is absent, belongs to another id, or has passed a time limit."""
    operator = recorded_operator()
    if operator is None or operator.get_id() != user_id or expired_by() is not None:
        return None
    return operator


def regenerate_session_id() -> None:
    """A new opaque id for this session; the record under the old id is deleted (fixation, replay)."""
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if callable(regenerate):
        regenerate(session._get_current_object())  # type: ignore[attr-defined]


def start_session_clock() -> None:
    now = _now()
    session["created_at"] = now
    session["last_seen"] = now


def unauthorized() -> Response:
    """Flask-Login's unauthorized handler: to sign in, then back to the page or htmx request asked for."""
    next_path = request.full_path.rstrip("?") if request.query_string else request.path
    login_url = url_for("auth.login", next=next_path)
    return hx_redirect(login_url, status=401) if is_htmx() else redirect(login_url, code=302)


def sign_in_redirect(*, next_path: str | None, reason: str | None) -> Response:
    """To the sign-in page: a redirect for a page, 401 + HX-Redirect for htmx (it ignores redirect bodies)."""
    params: dict[str, str] = {}
    if next_path:
        params["next"] = next_path
    if reason:
        params["reason"] = reason
    target = url_for("auth.login") + (("?" + urlencode(params)) if params else "")
    if is_htmx():
        return hx_redirect(target, status=401)
    return redirect(target)


def _return_path() -> str:
    """Where to come back to after signing in again: this page, or the page that sent an htmx request."""
    if request.method == "GET" and not is_htmx():
        return request.full_path.rstrip("?")
    return request.path


def _keep_form_as_draft(email: str) -> None:
    if request.method == "POST" and request.form:
        drafts.save_draft(email, request.path, drafts.non_secret_fields(request.form.items(multi=True)))


def end_session(reason: str) -> Response:
    """Sign the operator out (Flask-Login), delete the session's record, and send them to sign in."""
    operator = recorded_operator()
    email = operator.email if operator else None
    if operator is not None:
        g.actor_id = operator.id  # for the log lines below: the loader no longer returns a lapsed operator
        _keep_form_as_draft(operator.email)
        record_event(
            "session_expired" if reason in {"idle", "absolute"} else "session_ended",
            outcome="ended",
            detail={"reason": reason},
            actor_id=operator.id,
            actor_email=operator.email,
        )
    security_event("session_ended", reason=reason, email=email)
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        # Keep the chosen language for the sign-in page, under a new id: the old record is deleted.
        session["lang"] = lang
        regenerate_session_id()
    return sign_in_redirect(next_path=_return_path(), reason=reason)


def enforce_timeouts() -> Response | None:
    """before_request: end sessions past their idle or absolute limit; a foreground request is activity."""
    if request.endpoint == "static" or OPERATOR_KEY not in session:
        return None
    reason = expired_by()
    if reason is not None:
        if request.headers.get(BACKGROUND_HEADER) == "1":
            # A page's background poll is not the operator: it gets nothing (204, nothing to swap) and
            # leaves ending the session to their next page, which says why (reason=idle). A 401 here would
            # also be an error in the console of a page left open (job toasts poll each page: templates/jobs).
            return Response(status=204)
        return end_session(reason)
    now = _now()
    idle_for = now - float(session.get("last_seen", now))
    if not is_background_request() and idle_for >= ACTIVITY_GRANULARITY_SECONDS:
        session["last_seen"] = now
    return None


def handle_session_ended(error: SessionEnded) -> Response:
    """The upstream refused to continue the operator's session (refresh failed): keep their form, sign in."""
    return end_session("upstream")


def _adopt_rotated_tokens(response: Response) -> Response:
    if session.modified:  # only a session about to be written back can overwrite a newer token pair
        adopt_newer_tokens(session, current_app)
    return response


def timing_context() -> dict[str, Any]:
    """Template values for the shell's idle-warning dialog."""
    if OPERATOR_KEY not in session:
        return {"session_timing": None}
    return {
        "session_timing": {
            "idle_seconds": idle_seconds(),
            "warning_seconds": warning_seconds(),
            "remaining_seconds": remaining_seconds(),
            "keepalive_url": url_for("auth.keepalive"),
        }
    }


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_operator)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(enforce_timeouts)
    app.after_request(_adopt_rotated_tokens)
    app.context_processor(timing_context)
    app.register_error_handler(SessionEnded, handle_session_ended)
