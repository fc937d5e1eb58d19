"""Partners the operator is assigned to (assumed operations: list and detail)."""

from __future__ import annotations

from flask import Blueprint, Response

from webapp.sandbox import codes
from webapp.sandbox.db import session
from webapp.sandbox.envelope import ApiFailure, ok
from webapp.sandbox.guard import current_caller, guarded
from webapp.sandbox.models import Partner
from webapp.sandbox.platform_shapes import assigned_partners, partner_json

bp = Blueprint("sandbox_partners", __name__)


@bp.get("/app/partners")
@guarded(partner=False)
def list_partners() -> Response:
    return ok([partner_json(p) for p in assigned_partners(current_caller().user)])


@bp.get("/app/partners/<int:partner_id>")
@guarded()
def partner_detail(partner_id: int) -> Response:
    partner = session.get(Partner, partner_id)
    if partner is None:  # assignment rows reference partners, so only a deleted partner gets here
        raise ApiFailure(codes.NOT_FOUND)
    return ok(partner_json(partner))
