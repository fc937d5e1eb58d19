"""Sign-in: the password, then the emailed code, then the operator's session (webapp/auth/session_views.py
holds the signed-in session's own routes, webapp/auth/failures.py what each refused step answers).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.access import public
from webapp.auth import known_device, sign_in
from webapp.auth.failures import client_ip, login_failure, otp_failure, rate_limited
from webapp.auth.forms import LoginForm, OtpForm, ResendForm
from webapp.auth.rate_limits import limits
from webapp.auth.safe_next import safe_next
from webapp.auth.token_holder import SessionTokenHolder
from webapp.auth.upstream_status import upstream_status
from webapp.cms import errors
from webapp.cms.models import LoginResult
from webapp.htmx import redirect, render
from webapp.logging_setup import security_event
from webapp.store.audit import record_event
from webapp.textmarks import N_
from webapp.textmarks import gettext as _
from webapp.upstream import cms

bp = Blueprint("auth", __name__, url_prefix="/auth")


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


def _page(
    template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> Response:
    response = render(template, status, **context)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


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
    refusal = limits().login.hit(email=email, ip=client_ip(), device=known_device.device_of(email))
    if refusal is not None:
        refused = rate_limited("password", email, refusal)
        return _login_page(form, refused["status"], error=refused["error"], headers=refused["headers"])
    try:
        result = cms().auth.login(email, str(form.password.data))
    except errors.CmsError as exc:
        status, message, headers = login_failure(email, exc)
        return _login_page(form, status, error=message, headers=headers)
    return _after_password(form, email, result)


def _after_password(form: LoginForm, email: str, result: LoginResult) -> Response:
    """The password was accepted: keep the sign-in pending and send the emailed code (or finish at once when
    the CMS asks for no code and the console is set to ask only when told)."""
    sign_in.begin_pending(
        email=result.email or email, user_id=result.id, name=result.name, next_path=safe_next(form.next.data)
    )
    holder = sign_in.pending_holder()
    holder.save(result.tokens)
    if not result.otp_required and current_app.config.get("SIGN_IN_OTP") == "when-asked":
        return _finish(holder)
    try:
        cms().auth.request_otp(holder, result.email or email, purpose="login")
    except errors.CmsError as exc:
        sign_in.drop_pending()
        status, message, headers = login_failure(email, exc)
        return _login_page(form, status, error=message, headers=headers)
    security_event("auth_password_ok", email=email, ip=client_ip())
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
    refusal = limits().otp.hit(email=email, ip=client_ip(), device=known_device.device_of(email))
    if refusal is not None:
        refused = rate_limited("otp", email, refusal)
        return _otp_page(form, refused["status"], error=refused["error"], headers=refused["headers"])
    holder = sign_in.pending_holder()
    try:
        cms().auth.verify_otp(holder, email, str(form.otp.data), "login")
    except errors.CmsError as exc:
        outcome = otp_failure(email, exc)
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
    refusal = limits().otp.hit(email=email, ip=client_ip(), device=known_device.device_of(email))
    if refusal is not None:
        refused = rate_limited("otp_resend", email, refusal)
        return _otp_page(
            OtpForm(formdata=None), refused["status"], error=refused["error"], headers=refused["headers"]
        )
    try:
        cms().auth.request_otp(sign_in.pending_holder(), email, purpose="login")
    except errors.CmsError as exc:
        outcome = otp_failure(email, exc)
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
        security_event("auth_upstream_error", error=type(exc).__name__, ip=client_ip(), step="profile")
        message = _("Signing in could not be completed because the CMS did not answer. Sign in again.")
        return _login_page(LoginForm(formdata=None), 503, error=message)
    sign_in.open_session(operator, holder)
    record_event("sign_in", outcome="success", target=operator.email, actor_id=operator.id, actor_email=email)
    security_event("auth_success", email=operator.email, operator_id=operator.id, ip=client_ip())
    response = redirect(safe_next(pending.get("next")) or sign_in.home_for(operator))
    known_device.remember(response, email or operator.email)
    return response
