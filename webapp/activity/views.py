"""The Activity page and its export.

Who may read the trail (SECURITY.md, "Who reads the audit trail"): an operator holding both `users:list` and
`users:detail` on the partner — the same pair a permission audit needs (webapp/audit/readers.py), held by
user administrators and by read-only auditors. `?scope=all` covers every partner where both are held. Events
with no partner (sign-in, sign-out, step-up codes) show only to CMS administrators. Viewing and exporting are
themselves audit events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, request
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from webapp.access import Operator, requires
from webapp.activity import export, trail
from webapp.audit.download import export_response
from webapp.audit.readers import reader_partners
from webapp.formatting import display_zone, time_tag
from webapp.htmx import render_private
from webapp.i18n import _
from webapp.store.audit import record_event
from webapp.textmarks import N_

bp = Blueprint("activity", __name__, url_prefix="/p/<int:partner_id>/activity")


def _reader(partner_id: int) -> tuple[Operator, list[int]]:
    """The operator and their readable partners; 403 (recorded) when this partner's trail is not theirs."""
    operator: Operator = current_user  # the access gate guarantees a signed-in operator
    readable = reader_partners(operator)
    if partner_id not in readable:
        record_event(
            "authz_denied",
            outcome="denied",
            partner_id=partner_id,
            detail={"reason": "permission_missing", "permission": "users:list and users:detail"},
        )
        abort(403)
    return operator, readable


def _scope(operator: Operator, partner_id: int, readable: list[int]) -> tuple[bool, trail.Scope]:
    all_partners = trail.parse_filters(request.args).scope == "all"
    ids = tuple(readable) if all_partners else (partner_id,)
    return all_partners, trail.Scope(ids, include_unscoped=operator.is_admin)


@bp.route("/", methods=["GET"])
@requires("users", "list")
def index(partner_id: int) -> BaseResponse:
    operator, readable = _reader(partner_id)
    all_partners, scope = _scope(operator, partner_id, readable)
    filters = trail.parse_filters(request.args)
    page = trail.search(scope, filters)
    names = {ref.partner_id: ref.name for ref in operator.partners}
    record_event(
        "activity_viewed",
        outcome="success",
        partner_id=partner_id,
        detail={"page": page.page, **filters.params(scope="all" if all_partners else "partner")},
    )
    return render_private(
        "activity/index.html",
        partner_id=partner_id,
        page=page,
        filters=filters,
        all_partners=all_partners,
        can_scope_all=len(readable) > 1,
        partner_names=names,
        operators=trail.operators_seen(scope),
        kinds=trail.kind_choices(),
        outcomes=trail.OUTCOMES,
        subject_types=trail.SUBJECT_TYPES,
        trail=trail,
        presets=_presets(),
    )


def _presets() -> list[tuple[str, dict[str, Any]]]:
    """Date ranges an auditor asks for most: label and the from/to they set."""
    from datetime import timedelta

    today = datetime.now(display_zone()).date()
    first_this_month = today.replace(day=1)
    last_month_end = first_this_month - timedelta(days=1)
    return [
        (N_("Today"), {"from": today.isoformat(), "to": today.isoformat()}),
        (N_("Last 7 days"), {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}),
        (N_("Last 30 days"), {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}),
        (
            N_("Last month"),
            {"from": last_month_end.replace(day=1).isoformat(), "to": last_month_end.isoformat()},
        ),
    ]


@bp.route("/export.csv", methods=["GET"])
@requires("users", "list")
def download_csv(partner_id: int) -> BaseResponse:
    return _download(partner_id, "csv")


@bp.route("/export.xlsx", methods=["GET"])
@requires("users", "list")
def download_xlsx(partner_id: int) -> BaseResponse:
    return _download(partner_id, "xlsx")


def _download(partner_id: int, fmt: str) -> BaseResponse:
    operator, readable = _reader(partner_id)
    all_partners, scope = _scope(operator, partner_id, readable)
    filters = trail.parse_filters(request.args)
    names = {ref.partner_id: ref.name for ref in operator.partners}
    rows = list(export.rows(trail.iter_all(scope, filters), names, _))
    header = [_(name) for name in export.HEADER]
    record_event(
        "activity_exported",
        outcome="success",
        partner_id=partner_id,
        detail={
            "format": fmt,
            "rows": len(rows),
            "limited": len(rows) >= trail.EXPORT_LIMIT,  # the newest EXPORT_LIMIT rows only
            **filters.params(scope="all" if all_partners else "partner"),
        },
    )
    stem = f"activity-{'all' if all_partners else partner_id}-{datetime.now(UTC).strftime('%Y%m%d-%H%M')}"
    return export_response(stem, fmt, header, rows, sheet_name="Activity")


@bp.app_template_filter("trail_time")
def trail_time(moment: datetime) -> Markup:
    """Every trail time on the page goes through here: the display zone with its offset, UTC on hover."""
    return time_tag(moment, seconds=True)
