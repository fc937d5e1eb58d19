"""`/` sends the operator to the right partner; `/p/<partner_id>/` is that partner's dashboard."""

from __future__ import annotations

from flask import Blueprint, current_app, g, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.access import Operator, optional_url, signed_in
from webapp.auth.token_holder import SessionTokenHolder
from webapp.dashboard.panels import load_panels, visible_panels
from webapp.htmx import redirect, render_private
from webapp.upstream import cms, offers

bp = Blueprint("dashboard", __name__)


@bp.route("/", methods=["GET"])
@signed_in
def index() -> Response:
    operator: Operator = current_user  # @signed_in guarantees it
    remembered = session.get("partner_id")
    if isinstance(remembered, int) and operator.partner(remembered) is not None:
        return redirect(url_for("dashboard.partner_dashboard", partner_id=remembered))
    if len(operator.partners) == 1:
        return redirect(url_for("dashboard.partner_dashboard", partner_id=operator.partners[0].partner_id))
    return redirect(url_for("auth.pick_partner"))


@bp.route("/p/<int:partner_id>/", methods=["GET"])
@signed_in
def partner_dashboard(partner_id: int) -> Response:
    """The gate has already checked the partner is the operator's; each panel checks its own permission."""
    operator: Operator = current_user
    if session.get("partner_id") != partner_id:  # an unchanged session is not written back
        session["partner_id"] = partner_id
    specs = visible_panels(lambda resource, action: operator.can(partner_id, resource, action))
    if not offers("process-request-decisions"):  # nobody decides through this console: no queue to show
        specs = [spec for spec in specs if spec.key != "decision_queue"]
    holder = SessionTokenHolder(app=current_app._get_current_object())  # type: ignore[attr-defined]
    panels = load_panels(cms(), holder, partner_id, specs, operator_id=operator.id)
    # The queue links to its list only when the operator may open that list at all.
    lists = operator.can_any(partner_id, (("balance-management", "list"), ("approvals", "list")))
    queue_url = (
        optional_url("process_requests.index", partner_id=partner_id, status="pending", awaiting="me")
        if lists
        else None
    )
    return render_private(
        "dashboard/partner.html",
        partner=getattr(g, "partner", None) or operator.partner(partner_id),
        partner_id=partner_id,
        panels=panels,
        panel_order=[spec.key for spec in specs],
        queue_url=queue_url,
    )
