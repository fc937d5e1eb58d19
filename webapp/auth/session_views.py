"""The signed-in session's own routes: sign-out, keep-alive and the timer, the partner picker and switcher."""

from __future__ import annotations

import re

from flask import abort, current_app, jsonify, make_response, render_template, session, url_for
from flask_login import current_user, logout_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response

from webapp.access import Operator, public, signed_in
from webapp.auth.forms import PartnerSwitchForm
from webapp.auth.safe_next import safe_next
from webapp.auth.session_lifecycle import idle_seconds, remaining_seconds, warning_seconds
from webapp.auth.views import bp
from webapp.htmx import is_htmx, redirect_after_post, render_private
from webapp.logging_setup import security_event
from webapp.store.audit import record_event

CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


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
    response = redirect_after_post(url_for("auth.login", reason="signed_out"))
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
    return render_private("auth/partners.html", current=session.get("partner_id"))


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
    return redirect_after_post(
        _same_section(form.next.data, partner_id)
        or url_for("dashboard.partner_dashboard", partner_id=partner_id)
    )
