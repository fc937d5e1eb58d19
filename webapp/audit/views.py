"""Running, showing and exporting permission audits.

Who may audit (shown on the page too): an operator holding both `users:list` and `users:detail` on a partner
may audit it — reading users and their permissions is all an audit does, so a read-only auditor can run and
export audits. "All my partners" covers exactly the partners where both are held; others are listed as
skipped. Nothing here changes upstream data.

A run and an export are background jobs (webapp/audit/jobs.py): the post answers at once with the job's
panel, which offers the snapshot or the file when the job is done. Running and exporting are audit events,
recorded by the job when it saves the snapshot or writes the file.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Final

from flask import Blueprint, abort, current_app, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp.access import Operator, requires
from webapp.audit import jobs as audit_jobs
from webapp.audit import rules
from webapp.audit.data import AuditData
from webapp.audit.readers import reader_partners
from webapp.auth import job_session
from webapp.htmx import redirect_after_post, render_private
from webapp.jobs.api import current_queue, enqueue
from webapp.store.audit_snapshots import AuditSnapshot, get_snapshot, previous_snapshot, recent_snapshots

bp = Blueprint("audit", __name__, url_prefix="/p/<int:partner_id>/audit")
RUN_KEY: Final = re.compile(r"[A-Za-z0-9_-]{16,64}")


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
        run_key=secrets.token_urlsafe(16),
        rules=rules.RISK_RULES,
        categories=rules.SENSITIVE_CATEGORIES,
    )


def _run_key() -> str:
    """What makes a post a new run: the key of the form it came from (a double click sends the same one and
    gets the same job), or a fresh one for a form without it."""
    posted = request.form.get("run_key", "")
    return posted if RUN_KEY.fullmatch(posted) else secrets.token_urlsafe(16)


def _start(kind: str, partner_id: int, params: dict[str, Any], *, as_operator: bool = False) -> BaseResponse:
    """Enqueue the job and answer at once with its panel (the job's page, polled until it finishes). A job
    that reads `as_operator` gets this session until its deadline (signing out ends it sooner)."""
    if as_operator:
        ttl = current_queue().settings.deadline_seconds
        params = {**params, "session": job_session.leave(kind, params, ttl=ttl)}
    job = enqueue(kind, params, _operator(), partner_id)
    return redirect_after_post(url_for("jobs.detail", partner_id=partner_id, job_id=job.id))


@bp.route("/run", methods=["POST"])
@requires("users", "list")
def run(partner_id: int) -> BaseResponse:
    operator = _operator()
    allowed = reader_partners(operator)
    if partner_id not in allowed:
        abort(403)
    scope = list(allowed) if request.form.get("scope") == "all" else [partner_id]
    names = {str(ref.partner_id): ref.name for ref in operator.partners if ref.partner_id in scope}
    params = {
        "partners": scope,
        "names": names,
        "dormant_days": _dormant_days(),
        "actor_email": operator.email,
        "run": _run_key(),
    }
    return _start(audit_jobs.AUDIT, partner_id, params, as_operator=True)


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
        run_key=secrets.token_urlsafe(16),
        categories=rules.SENSITIVE_CATEGORIES,
        category_of=rules.category_of,
    )


@bp.route("/<int:snapshot_id>/export.csv", methods=["POST"])
@requires("users", "list")
def download_csv(partner_id: int, snapshot_id: int) -> BaseResponse:
    return _export(partner_id, snapshot_id, "csv")


@bp.route("/<int:snapshot_id>/export.xlsx", methods=["POST"])
@requires("users", "list")
def download_xlsx(partner_id: int, snapshot_id: int) -> BaseResponse:
    return _export(partner_id, snapshot_id, "xlsx")


def _export(partner_id: int, snapshot_id: int, fmt: str) -> BaseResponse:
    """The export is built by a job into its result file, downloaded from the job's panel."""
    found = _visible_snapshot(partner_id, snapshot_id)
    params = {
        "snapshot": found.id,
        "format": fmt,
        "locale": str(get_locale() or "en"),
        "actor_email": _operator().email,
        "run": _run_key(),
    }
    return _start(audit_jobs.EXPORT, partner_id, params)
