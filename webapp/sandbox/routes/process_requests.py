"""Process requests (#17–#19): balance top-ups with evidence, decided by a second operator, and the partner
balance (#10) that an approval credits.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select, update

from webapp.sandbox import codes
from webapp.sandbox.clock import utcnow
from webapp.sandbox.db import session
from webapp.sandbox.domain_models import PROCESS_REQUEST_STATUSES, Balance, ProcessRequest
from webapp.sandbox.envelope import ApiFailure, ok, page
from webapp.sandbox.guard import (
    current_caller,
    guarded,
    idempotent,
    json_body,
    otp_field,
    require_any_permission,
    require_otp,
)
from webapp.sandbox.models import CmsUser, Partner
from webapp.sandbox.platform_shapes import user_brief
from webapp.sandbox.routes.cardholders import paged, paging, reason_from
from webapp.sandbox.routes.uploads import limited_body, safe_file_name, single_file

bp = Blueprint("sandbox_process_requests", __name__)

EVIDENCE_LIMIT = 10 * 1024 * 1024
MAX_AMOUNT = Decimal("1000000000")
OBSERVATIONS_LIMIT = 500
# No "+", exponent, leading zeros or padding: what the contract's pattern says.
_AMOUNT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
READERS = (("balance-management", "list"), ("approvals", "detail"))
LISTERS = (("balance-management", "list"), ("approvals", "list"))
BALANCE_READERS = (("balance-management", "list"), ("balance-management", "create"), ("approvals", "list"))


def evidence_type(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) by magic bytes; the client's own Content-Type is never trusted."""
    if data.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def parse_amount(raw: str | None) -> Decimal:
    """`requestedAmount`: > 0 (7001), a plain decimal with at most 2 places and ≤ 1,000,000,000 (7002)."""
    if raw is None or not raw.strip():
        raise ApiFailure(codes.CHECK_PARAMETERS, "requestedAmount is required", field="requestedAmount")
    text = raw
    if not _AMOUNT.fullmatch(text):
        raise ApiFailure(codes.INVALID_FORMAT_AMOUNT, field="requestedAmount")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ApiFailure(codes.INVALID_FORMAT_AMOUNT, field="requestedAmount") from None
    if amount <= 0:
        raise ApiFailure(codes.GREATER_THAN_ZERO, field="requestedAmount")
    decimals = len(text.partition(".")[2])
    if decimals > 2 or amount > MAX_AMOUNT:
        raise ApiFailure(codes.INVALID_FORMAT_AMOUNT, field="requestedAmount")
    return amount.quantize(Decimal("0.01"))


def _day(name: str) -> date | None:
    raw = request.args.get(name)
    if raw is None:
        return None  # sent, even empty or padded, it must be a date as it stands
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiFailure(codes.CHECK_PARAMETERS, f"{name} must be a date YYYY-MM-DD", field=name) from None


def people_for(requests: list[ProcessRequest]) -> dict[int, dict[str, Any]]:
    ids = {r.requested_by for r in requests} | {r.decided_by for r in requests if r.decided_by is not None}
    if not ids:
        return {}
    return {user.id: user_brief(user) for user in session.scalars(select(CmsUser).where(CmsUser.id.in_(ids)))}


def load_request(partner_id: int, request_id: int) -> ProcessRequest:
    found = session.get(ProcessRequest, request_id)
    if found is None or found.partner_id != partner_id:
        raise ApiFailure(codes.PROCESS_REQUEST_NOT_FOUND)
    return found


def balance_of(partner_id: int) -> Balance:
    """The partner's balance row, created at zero in the partner's currency the first time it is needed."""
    found = session.scalars(select(Balance).where(Balance.client_id == partner_id)).first()
    if found is None:
        partner = session.get(Partner, partner_id)
        now = utcnow()
        found = Balance(
            client_id=partner_id,
            available=Decimal("0.00"),
            currency=(partner.currency if partner else None) or "GTQ",
            created_at=now,
            updated_at=now,
        )
        session.add(found)
        session.flush()
    return found


def _answer(found: ProcessRequest, status: int = 200) -> Response:
    return ok(found.to_json(people_for([found])), status=status)


# -- routes -------------------------------------------------------------------------------------------------


@bp.post("/app/partners/<int:partner_id>/process-request")
@guarded("balance-management", "create")
@limited_body(EVIDENCE_LIMIT)
@idempotent
def create(partner_id: int) -> Response:
    amount = parse_amount(request.form.get("requestedAmount"))
    observations = (request.form.get("observations") or "").strip() or None
    if observations is not None and len(observations) > OBSERVATIONS_LIMIT:
        raise ApiFailure(
            codes.CHECK_PARAMETERS,
            f"observations must be at most {OBSERVATIONS_LIMIT} characters",
            field="observations",
        )
    if not request.files.getlist("evidence"):
        raise ApiFailure(codes.CHECK_PARAMETERS, "evidence is required", field="evidence")
    file_name, data = single_file("evidence")
    if len(data) > EVIDENCE_LIMIT:
        raise ApiFailure(codes.FILE_TOO_LARGE, field="evidence")
    kind = evidence_type(data)
    if kind is None:
        raise ApiFailure(
            codes.INVALID_FILE, "The evidence must be a PDF, JPEG, PNG or WEBP file.", field="evidence"
        )
    require_otp(request.form.get("otp"))
    now = utcnow()
    created = ProcessRequest(
        partner_id=partner_id,
        requested_amount=amount,
        currency=balance_of(partner_id).currency,
        observations=observations,
        status="pending",
        requested_by=current_caller().user.id,
        evidence=data,
        evidence_file_name=safe_file_name(file_name, f"evidence.{kind[1]}"),
        evidence_content_type=kind[0],
        evidence_size=len(data),
        evidence_sha256=hashlib.sha256(data).hexdigest(),
        created_at=now,
        updated_at=now,
    )
    session.add(created)
    session.commit()
    return _answer(created, status=201)


@bp.get("/app/partners/<int:client_id>/process-requests")
@guarded()
def list_paginated(client_id: int) -> Response:
    require_any_permission(LISTERS)
    page_no, limit = paging()
    query = select(ProcessRequest).where(ProcessRequest.partner_id == client_id)
    status = request.args.get("status", "").strip()
    if status:
        if status not in PROCESS_REQUEST_STATUSES:
            raise ApiFailure(
                codes.CHECK_PARAMETERS,
                "status must be one of " + ", ".join(PROCESS_REQUEST_STATUSES),
                field="status",
            )
        query = query.where(ProcessRequest.status == status)
    start, end = _day("from"), _day("to")
    if start is not None:
        query = query.where(ProcessRequest.created_at >= datetime.combine(start, datetime.min.time()))
    if end is not None:
        query = query.where(
            ProcessRequest.created_at < datetime.combine(end + timedelta(days=1), datetime.min.time())
        )
    found, total = paged(query, [ProcessRequest.created_at.desc(), ProcessRequest.id.desc()], page_no, limit)
    people = people_for(found)
    return ok(page([r.to_json(people) for r in found], page=page_no, limit=limit, total=total))


@bp.get("/app/partners/<int:client_id>/process-request")
@guarded()
def list_all(client_id: int) -> Response:
    require_any_permission(LISTERS)
    found = list(
        session.scalars(
            select(ProcessRequest)
            .where(ProcessRequest.partner_id == client_id)
            .order_by(ProcessRequest.created_at.desc(), ProcessRequest.id.desc())
        )
    )
    people = people_for(found)
    return ok([r.to_json(people) for r in found])


@bp.get("/app/partners/<int:partner_id>/process-requests/<int:request_id>")
@guarded()
def detail(partner_id: int, request_id: int) -> Response:
    require_any_permission(READERS)
    return _answer(load_request(partner_id, request_id))


def _decide(partner_id: int, request_id: int, outcome: str, *, reason_required: bool) -> Response:
    body = json_body()
    reason = reason_from(body, required=reason_required)
    code = otp_field(body)
    found = load_request(partner_id, request_id)
    caller = current_caller()
    if found.requested_by == caller.user.id:
        raise ApiFailure(codes.SELF_APPROVAL_FORBIDDEN)
    if found.status != "pending":
        raise ApiFailure(codes.INVALID_STATE, "Only a pending request can be decided.")
    require_otp(code)
    now = utcnow()
    # Conditional on `pending`, so two deciders racing cannot both credit the balance.
    changed = session.execute(
        update(ProcessRequest)
        .where(ProcessRequest.id == found.id, ProcessRequest.status == "pending")
        .values(
            status=outcome, decided_by=caller.user.id, decision_reason=reason, decided_at=now, updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        session.rollback()
        raise ApiFailure(codes.INVALID_STATE, "Only a pending request can be decided.")
    if outcome == "approved":
        balance = balance_of(partner_id)
        session.execute(
            update(Balance)
            .where(Balance.id == balance.id)
            .values(available=Balance.available + found.requested_amount, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    session.refresh(found)
    return _answer(found)


@bp.post("/app/partners/<int:partner_id>/process-requests/<int:request_id>/approve")
@guarded("approvals", "update")
def approve(partner_id: int, request_id: int) -> Response:
    return _decide(partner_id, request_id, "approved", reason_required=False)


@bp.post("/app/partners/<int:partner_id>/process-requests/<int:request_id>/reject")
@guarded("approvals", "update")
def reject(partner_id: int, request_id: int) -> Response:
    return _decide(partner_id, request_id, "rejected", reason_required=True)


@bp.post("/app/partners/<int:partner_id>/process-requests/<int:request_id>/cancel")
@guarded("balance-management", "cancel")
def cancel(partner_id: int, request_id: int) -> Response:
    reason = reason_from(json_body(), required=False)  # the body first, as approve and reject do
    found = load_request(partner_id, request_id)
    if found.status != "pending":
        raise ApiFailure(codes.INVALID_STATE, "Only a pending request can be cancelled.")
    now = utcnow()
    found.status = "cancelled"
    found.decided_by = current_caller().user.id
    found.decision_reason = reason
    found.decided_at = now
    found.updated_at = now
    session.commit()
    return _answer(found)


@bp.get("/app/partners/<int:partner_id>/process-requests/<int:request_id>/evidence")
@guarded()
def evidence(partner_id: int, request_id: int) -> Response:
    require_any_permission(READERS)
    found = load_request(partner_id, request_id)
    resp = current_app.response_class(found.evidence, status=200, content_type=found.evidence_content_type)
    resp.headers.set("Content-Disposition", "attachment", filename=found.evidence_file_name)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/app/partners/<int:client_id>/balance")
@guarded()
def balance(client_id: int) -> Response:
    require_any_permission(BALANCE_READERS)
    found = balance_of(client_id)
    session.commit()
    return ok(found.to_json())
