"""Sign-in (password, then the emailed code), sign-out, keep-alive and the partner picker/switcher.

Every failure message is chosen here from the error class the client raised; none repeats the password or the
code back into the page.
"""

from __future__ import annotations

import math
import re
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response

from webapp.access import Operator, public, signed_in
from webapp.auth import known_device, sign_in
from webapp.auth.forms import LoginForm, OtpForm, PartnerSwitchForm, ResendForm
from webapp.auth.rate_limits import Refusal, limits
from webapp.auth.safe_next import safe_next
from webapp.auth.session_lifecycle import (
    idle_seconds,
    remaining_seconds,
    warning_seconds,
)
from webapp.auth.token_holder import SessionTokenHolder
from webapp.auth.upstream_status import upstream_status
from webapp.cms import errors
from webapp.htmx import hx_redirect, is_htmx, redirect, render
from webapp.logging_setup import security_event
from webapp.store.audit import record_event
from webapp.textmarks import N_, ngettext
from webapp.textmarks import gettext as _
from webapp.upstream import cms

bp = Blueprint("auth", __name__, url_prefix="/auth")

CLEAR_SITE_DATA = '"cache", "cookies", "storage"'

# Why the sign-in page is shown, from `?reason=`: plain codes, never free text from the URL.
_REASONS: dict[str, tuple[str, str]] = {
    "signed_out": ("info", N_("You have signed out.")),
    "idle": ("warning", N_("Your session ended after a period of inactivity. Sign in again to continue.")),
    "absolute": ("warning", N_("Your session reached its maximum length. Sign in again to continue.")),
    "upstream": (
        "warning",
        N_("Your session with the CMS ended. Sign in again; your unsaved form has been kept."),
    ),
    "start_again": ("warning", N_("Your sign-in expired before the code was entered. Start again.")),
}


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _wait_text(seconds: float | None) -> str:
    if seconds is None or seconds <= 0:
        return _("Try again in a few minutes.")
    if seconds < 90:
        return ngettext("Try again in %(num)s second.", "Try again in %(num)s seconds.", math.ceil(seconds))
    return ngettext("Try again in %(num)s minute.", "Try again in %(num)s minutes.", math.ceil(seconds / 60))


def _page(
    template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> Response:
    response = render(template, status, **context)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _go(target: str) -> Response:
    if is_htmx():
        return hx_redirect(target)
    return redirect(target)


def _login_page(form: LoginForm, status: int = 200, *, error: str | None = None, **extra: Any) -> Response:
    notice = _REASONS.get(request.args.get("reason", ""))
    return _page(
        "auth/login.html",
        status,
        form=form,
        error=error,
        notice=(notice[0], _(notice[1])) if notice else None,
        upstream=upstream_status(),
        **extra,
    )


def _refused(step: str, email: str, refusal: Refusal) -> dict[str, Any]:
    record_event("sign_in", outcome="rate_limited", target=email, detail={"step": step}, actor_email=email)
    security_event(
        "auth_rate_limited", step=step, email=email, ip=_client_ip(), retry_after=refusal.retry_after
    )
    return {
        "status": 429,
        "headers": {"Retry-After": str(refusal.retry_after)},
        "error": _("Too many attempts.") + " " + _wait_text(refusal.retry_after),
    }


def _refused_message() -> str:
    """The one answer to a refused password, whatever the reason (SECURITY.md, "Sign-in failures")."""
    return _(
        "The email or password is wrong, or this account cannot sign in right now. If you are sure of "
        "your password, look for a notice in your email or ask an administrator."
    )


def _unavailable_message() -> str:
    return _("The CMS is not answering right now. Try again in a minute.")


def _login_failure(email: str, exc: errors.CmsError) -> tuple[int, str, dict[str, str]]:
    """Status, message and headers for a refused password step.

    An unknown email, a wrong password, a locked account and an inactive one get the same status, text and
    headers (no `Retry-After` for a lock): the page must not tell anyone which accounts exist or are locked.
    The CMS's reason is kept for the audit trail and the security log only. An inactive operator is not told
    either, because the console cannot know whether the CMS checked the password before saying so."""
    if isinstance(exc, errors.Locked):
        record_event("sign_in", outcome="locked", target=email, actor_email=email)
        security_event("auth_locked", email=email, ip=_client_ip())
        return 401, _refused_message(), {}
    if isinstance(exc, errors.Inactive):
        record_event("sign_in", outcome="inactive", target=email, actor_email=email)
        security_event("auth_failure", reason="inactive", email=email, ip=_client_ip())
        return 401, _refused_message(), {}
    if isinstance(exc, errors.Unauthorized):
        record_event("sign_in", outcome="failure", target=email, actor_email=email)
        security_event("auth_failure", reason="bad_credentials", email=email, ip=_client_ip())
        return 401, _refused_message(), {}
    if isinstance(exc, errors.RateLimited):
        security_event("auth_upstream_rate_limited", email=email, ip=_client_ip())
        retry = math.ceil(exc.retry_after) if exc.retry_after else 60
        return 429, _("Too many attempts.") + " " + _wait_text(retry), {"Retry-After": str(retry)}
    security_event("auth_upstream_error", error=type(exc).__name__, ip=_client_ip())
    return 503, _unavailable_message(), {}


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response:
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        return _login_page(form)
    if not form.validate_on_submit():
        return _login_page(form, 422)
    email = str(form.email.data)
    refusal = limits().login.hit(email=email, ip=_client_ip(), device=known_device.device_of(email))
    if refusal is not None:
        refused = _refused("password", email, refusal)
        return _login_page(form, refused["status"], error=refused["error"], headers=refused["headers"])
    client = cms()
    try:
        result = client.auth.login(email, str(form.password.data))
    except errors.CmsError as exc:
        status, message, headers = _login_failure(email, exc)
        return _login_page(form, status, error=message, headers=headers)
    sign_in.begin_pending(
        email=result.email or email, user_id=result.id, name=result.name, next_path=safe_next(form.next.data)
    )
    holder = sign_in.pending_holder()
    holder.save(result.tokens)
    if not result.otp_required and current_app.config.get("SIGN_IN_OTP") == "when-asked":
        return _finish(holder)
    try:
        client.auth.request_otp(holder, result.email or email, purpose="login")
    except errors.CmsError as exc:
        sign_in.drop_pending()
        status, message, headers = _login_failure(email, exc)
        return _login_page(form, status, error=message, headers=headers)
    security_event("auth_password_ok", email=email, ip=_client_ip())
    return redirect(url_for("auth.otp"))


def _otp_page(form: OtpForm, status: int = 200, *, error: str | None = None, **extra: Any) -> Response:
    pending = sign_in.pending_login() or {}
    sandbox_url = current_app.config.get("SANDBOX_PUBLIC_URL")
    return _page(
        "auth/otp.html",
        status,
        form=form,
        resend_form=ResendForm(),
        error=error,
        email=pending.get("email", ""),
        mailbox_url=f"{str(sandbox_url).rstrip('/')}/_sandbox/mailbox" if sandbox_url else None,
        **extra,
    )


def _otp_failure(email: str, exc: errors.CmsError) -> tuple[int, str, dict[str, str]] | Response:
    """A refused code: a message for the OTP page, or a response restarting the sign-in."""
    if isinstance(exc, errors.ValidationFailed):
        record_event(
            "sign_in_otp", outcome="failure", target=email, detail={"code": exc.code}, actor_email=email
        )
        security_event("otp_failure", email=email, ip=_client_ip(), code=exc.code)
        if exc.code == "8007":
            return 400, _("That code has expired or was already used. Send a new code."), {}
        return 400, _("That code is wrong. Check the latest email and try again."), {}
    if isinstance(exc, errors.Locked | errors.Inactive):
        sign_in.drop_pending()
        status, message, headers = _login_failure(email, exc)
        return status, message, headers
    if isinstance(exc, errors.Unauthorized):
        sign_in.drop_pending()
        security_event("otp_failure", email=email, ip=_client_ip(), reason="pending_token_refused")
        return redirect(url_for("auth.login", reason="start_again"))
    if isinstance(exc, errors.RateLimited):
        retry = math.ceil(exc.retry_after) if exc.retry_after else 60
        return 429, _("Too many attempts.") + " " + _wait_text(retry), {"Retry-After": str(retry)}
    security_event("auth_upstream_error", error=type(exc).__name__, ip=_client_ip())
    return 503, _unavailable_message(), {}


@bp.route("/otp", methods=["GET", "POST"])
@public
def otp() -> Response:
    pending = sign_in.pending_login()
    if pending is None:
        # Only reachable right after the password step; a replayed or late code starts over.
        return redirect(url_for("auth.login", reason="start_again" if request.method == "POST" else None))
    form = OtpForm()
    if request.method == "GET":
        return _otp_page(form)
    if not form.validate_on_submit():
        return _otp_page(form, 422)
    email = str(pending["email"])
    refusal = limits().otp.hit(email=email, ip=_client_ip(), device=known_device.device_of(email))
    if refusal is not None:
        refused = _refused("otp", email, refusal)
        return _otp_page(form, refused["status"], error=refused["error"], headers=refused["headers"])
    holder = sign_in.pending_holder()
    try:
        cms().auth.verify_otp(holder, email, str(form.otp.data), "login")
    except errors.CmsError as exc:
        outcome = _otp_failure(email, exc)
        if isinstance(outcome, Response):
            return outcome
        status, message, headers = outcome
        if sign_in.pending_login() is None:
            return _login_page(LoginForm(formdata=None), status, error=message, headers=headers)
        return _otp_page(form, status, error=message, headers=headers)
    return _finish(holder)


@bp.route("/otp/resend", methods=["POST"])
@public
def resend_otp() -> Response:
    pending = sign_in.pending_login()
    if pending is None:
        return redirect(url_for("auth.login", reason="start_again"))
    form = ResendForm()
    if not form.validate_on_submit():
        abort(400)
    email = str(pending["email"])
    refusal = limits().otp.hit(email=email, ip=_client_ip(), device=known_device.device_of(email))
    if refusal is not None:
        refused = _refused("otp_resend", email, refusal)
        return _otp_page(
            OtpForm(formdata=None), refused["status"], error=refused["error"], headers=refused["headers"]
        )
    try:
        cms().auth.request_otp(sign_in.pending_holder(), email, purpose="login")
    except errors.CmsError as exc:
        outcome = _otp_failure(email, exc)
        if isinstance(outcome, Response):
            return outcome
        status, message, headers = outcome
        return _otp_page(OtpForm(formdata=None), status, error=message, headers=headers)
    flash(_("We sent a new code. Use the latest one."), "info")
    return redirect(url_for("auth.otp"))


def _finish(holder: SessionTokenHolder) -> Response:
    """The code was accepted: learn who this is, open their session under a new id, send them on."""
    pending = sign_in.pending_login() or {}
    email = str(pending.get("email", ""))
    try:
        operator = sign_in.fetch_operator(cms(), holder, pending)
    except errors.CmsError as exc:
        sign_in.drop_pending()
        security_event("auth_upstream_error", error=type(exc).__name__, ip=_client_ip(), step="profile")
        message = _("Signing in could not be completed because the CMS did not answer. Sign in again.")
        return _login_page(LoginForm(formdata=None), 503, error=message)
    sign_in.open_session(operator, holder)
    record_event("sign_in", outcome="success", target=operator.email, actor_id=operator.id, actor_email=email)
    security_event("auth_success", email=operator.email, operator_id=operator.id, ip=_client_ip())
    response = redirect(safe_next(pending.get("next")) or sign_in.home_for(operator))
    known_device.remember(response, email or operator.email)
    return response


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    """Sign out (Flask-Login), then delete the server-side record, so the old cookie is worthless; the browser
    is told to forget its cache and storage for this site."""
    if current_user.is_authenticated:
        record_event("sign_out", outcome="success", actor_id=current_user.id, actor_email=current_user.email)
        security_event("logout", email=current_user.email, operator_id=current_user.id)
    logout_user()
    session.clear()
    response = _go(url_for("auth.login", reason="signed_out"))
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    response.headers["Cache-Control"] = "no-store"
    return response


def _timing() -> dict[str, int]:
    return {
        "remaining_seconds": remaining_seconds(),
        "idle_seconds": idle_seconds(),
        "warning_seconds": warning_seconds(),
    }


@bp.route("/keepalive", methods=["POST"])
@signed_in
def keepalive() -> Response:
    """The operator said "stay signed in": this request already counted as activity."""
    timing = _timing()
    if is_htmx():
        # A bare status line for the idle dialog, not a page: render it whole, not its content block.
        fragment = make_response(render_template("auth/_keepalive.html", **timing))
        fragment.headers["Cache-Control"] = "no-store"
        return fragment
    response = jsonify(timing)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/session", methods=["GET"])
@signed_in
def session_status() -> Response:
    """Seconds left, for a page's timer; polled in the background, so it never extends the session."""
    response = jsonify(_timing())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/partners", methods=["GET"])
@signed_in
def pick_partner() -> Response:
    return _page("auth/partners.html", current=session.get("partner_id"))


_SECTION = re.compile(r"^/p/\d+(/[^/?#]+)?")


def _same_section(next_path: str | None, partner_id: int) -> str | None:
    """`/p/<old>/<section>/...` → `/p/<new>/<section>` when that route exists (objects of the old partner
    mean nothing under the new one, so only the section is kept)."""
    path = safe_next(next_path)
    match = _SECTION.match(path or "")
    if match is None or not match.group(1):
        return None
    candidate = f"/p/{partner_id}{match.group(1)}"
    adapter = current_app.url_map.bind("localhost")
    for probe in (candidate, candidate + "/"):
        try:
            adapter.match(probe, method="GET")
        except RequestRedirect:
            continue
        except HTTPException:
            continue
        return probe
    return None


@bp.route("/partner", methods=["POST"])
@signed_in
def switch_partner() -> Response:
    operator: Operator = current_user
    form = PartnerSwitchForm()
    if not form.validate_on_submit():
        abort(400)
    partner_id = int(form.partner_id.data or 0)
    if operator.partner(partner_id) is None:
        record_event("partner_switch", outcome="denied", partner_id=partner_id)
        security_event(
            "authz_denied", reason="partner_not_assigned", partner_id=partner_id, operator_id=operator.id
        )
        abort(403)
    session["partner_id"] = partner_id
    record_event("partner_switch", outcome="success", partner_id=partner_id)
    return _go(
        _same_section(form.next.data, partner_id)
        or url_for("dashboard.partner_dashboard", partner_id=partner_id)
    )
