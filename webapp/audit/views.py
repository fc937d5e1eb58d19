"""Running, showing and exporting permission audits.

Who may audit (shown on the page too): an operator holding both `users:list` and `users:detail` on a partner
may audit it — reading users and their permissions is all an audit does, so a read-only auditor can run and
export audits. "All my partners" covers exactly the partners where both are held; others are listed as
skipped. Nothing here changes upstream data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp.access import Operator, requires
from webapp.audit import export, rules
from webapp.audit.collect import collect
from webapp.audit.data import AuditData
from webapp.audit.download import export_response
from webapp.audit.readers import reader_partners
from webapp.auth.token_holder import SessionTokenHolder
from webapp.formatting import display_zone
from webapp.htmx import redirect_after_post, render_private
from webapp.store.audit import record_event
from webapp.store.audit_snapshots import (
    AuditSnapshot,
    get_snapshot,
    previous_snapshot,
    recent_snapshots,
    save_snapshot,
)
from webapp.textmarks import gettext as _
from webapp.upstream import cms

bp = Blueprint("audit", __name__, url_prefix="/p/<int:partner_id>/audit")


def _operator() -> Operator:
    operator: Operator = current_user  # the access gate guarantees it
    return operator


def _dormant_days() -> int:
    return max(1, int(current_app.config.get("DORMANT_DAYS") or 90))


@bp.route("/", methods=["GET"])
@requires("users", "list")
def index(partner_id: int) -> BaseResponse:
    operator = _operator()
    allowed = reader_partners(operator)
    return render_private(
        "audit/index.html",
        partner_id=partner_id,
        can_audit=partner_id in allowed,
        all_partners=[ref for ref in operator.partners if ref.partner_id in allowed],
        skipped=[ref for ref in operator.partners if ref.partner_id not in allowed],
        snapshots=[s for s in recent_snapshots(partner_id) if set(s.partner_ids) <= set(allowed)],
        dormant_days=_dormant_days(),
        rules=rules.RISK_RULES,
        categories=rules.SENSITIVE_CATEGORIES,
    )


def _record(action: str, partner_id: int, snapshot_id: int, **detail: Any) -> None:
    """Running and exporting an audit are audit events themselves."""
    record_event(
        action,
        outcome="success",
        partner_id=partner_id,
        target=f"audit_snapshot:{snapshot_id}",
        detail=detail,
    )


@bp.route("/run", methods=["POST"])
@requires("users", "list")
def run(partner_id: int) -> BaseResponse:
    operator = _operator()
    allowed = reader_partners(operator)
    if partner_id not in allowed:
        abort(403)
    scope = list(allowed) if request.form.get("scope") == "all" else [partner_id]
    names = {ref.partner_id: ref.name for ref in operator.partners if ref.partner_id in scope}
    started = datetime.now(UTC)
    data = collect(cms(), SessionTokenHolder(), names)
    snapshot = save_snapshot(
        partner_ids=scope,
        dormant_days=_dormant_days(),
        data=data.to_json(),
        actor_id=operator.id,
        actor_email=operator.email,
        user_count=len(data.users),
        grant_count=data.grant_count,
        created_at=started,
    )
    counts = {"users": len(data.users), "grants": data.grant_count}
    _record("permission_audit_run", partner_id, snapshot.id, partners=scope, **counts)
    flash(_("Audit saved."), "success")
    return redirect_after_post(url_for("audit.snapshot", partner_id=partner_id, snapshot_id=snapshot.id))


def _visible_snapshot(partner_id: int, snapshot_id: int) -> AuditSnapshot:
    """A snapshot this operator may read from this partner's pages; the same 404 whatever the reason."""
    found = get_snapshot(snapshot_id)
    allowed = set(reader_partners(_operator()))
    if found is None or partner_id not in found.partner_ids or not set(found.partner_ids) <= allowed:
        abort(404)
    return found


@bp.route("/<int:snapshot_id>", methods=["GET"])
@requires("users", "list")
def snapshot(partner_id: int, snapshot_id: int) -> BaseResponse:
    found = _visible_snapshot(partner_id, snapshot_id)
    data = AuditData.from_json(found.data)
    matrix = rules.matrix(data, found.created_at, found.dormant_days)
    before = previous_snapshot(found)
    changes = rules.changes(AuditData.from_json(before.data), data) if before is not None else None
    only_flagged = request.args.get("view") == "flagged"
    shown = [r for r in matrix if r.flags or r.dormant_with_sensitive] if only_flagged else matrix
    return render_private(
        "audit/snapshot.html",
        partner_id=partner_id,
        snap=found,
        data=data,
        matrix=shown,
        all_rows=matrix,
        only_flagged=only_flagged,
        permission_names=data.permission_names(),
        holders=rules.holders_by_permission(matrix),
        flagged=[r for r in matrix if r.flags],
        dormant=[r for r in matrix if r.dormant_with_sensitive],
        previous=before,
        changes=changes,
        risk_labels=rules.RISK_LABELS,
        categories=rules.SENSITIVE_CATEGORIES,
        category_of=rules.category_of,
    )


@bp.route("/<int:snapshot_id>/export.csv", methods=["GET"])
@requires("users", "list")
def download_csv(partner_id: int, snapshot_id: int) -> BaseResponse:
    return _download(partner_id, snapshot_id, "csv")


@bp.route("/<int:snapshot_id>/export.xlsx", methods=["GET"])
@requires("users", "list")
def download_xlsx(partner_id: int, snapshot_id: int) -> BaseResponse:
    return _download(partner_id, snapshot_id, "xlsx")


def _download(partner_id: int, snapshot_id: int, fmt: str) -> BaseResponse:
    found = _visible_snapshot(partner_id, snapshot_id)
    data = AuditData.from_json(found.data)
    matrix = rules.matrix(data, found.created_at, found.dormant_days)
    names = data.permission_names()
    stem = f"permission-audit-{found.id}-{found.created_at.strftime('%Y%m%d-%H%M')}"
    _record("permission_audit_export", partner_id, found.id, format=fmt)
    zone = display_zone()
    columns = export.header(names, _, getattr(zone, "key", str(zone)))
    rows = export.rows(data, matrix, names, _)
    return export_response(stem, fmt, columns, rows, sheet_name=_("Audit"), zone=zone)
