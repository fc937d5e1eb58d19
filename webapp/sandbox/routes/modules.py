"""The permission catalog: modules with their permissions (#8) and creating permissions (#9)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response
from sqlalchemy import select

from webapp.sandbox import codes
from webapp.sandbox.db import session
from webapp.sandbox.envelope import ApiFailure, ok
from webapp.sandbox.guard import current_caller, guarded, json_body
from webapp.sandbox.models import Module, Permission
from webapp.sandbox.platform_shapes import module_json, permission_json

bp = Blueprint("sandbox_modules", __name__)

CUSTOM_MODULE_KEY = "custom"
_NAME = re.compile(r"[a-z][a-zA-Z0-9_-]{0,49}")  # the contract's PermissionName, matched whole
DESCRIPTION_LIMIT = 300


@bp.get("/app/modules")
@guarded(partner=False)
def list_modules() -> Response:
    modules = session.scalars(select(Module).order_by(Module.id))
    return ok([module_json(m) for m in modules])


def _custom_module() -> Module:
    module = session.scalars(select(Module).where(Module.key == CUSTOM_MODULE_KEY)).first()
    if module is None:
        module = Module(
            key=CUSTOM_MODULE_KEY,
            name="Custom permissions",
            description="Created through POST /app/permissions; stored but not enforced by the platform.",
        )
        session.add(module)
        session.flush()
    return module


def _parse(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    items = body.get("permissions")
    if not isinstance(items, list) or not items:
        raise ApiFailure(codes.CHECK_PARAMETERS, "permissions must be a non-empty list.", field="permissions")
    parsed: list[tuple[str, str, str]] = []
    for item in items:
        if not isinstance(item, dict):
            raise ApiFailure(
                codes.CHECK_PARAMETERS, "each permission must be an object.", field="permissions"
            )
        resource, action = item.get("resource"), item.get("action")
        description = item.get("description", "")
        if not isinstance(resource, str) or not _NAME.fullmatch(resource):
            raise ApiFailure(codes.CHECK_PARAMETERS, "resource is not a valid name.", field="resource")
        if not isinstance(action, str) or not _NAME.fullmatch(action):
            raise ApiFailure(codes.CHECK_PARAMETERS, "action is not a valid name.", field="action")
        if not isinstance(description, str) or len(description) > DESCRIPTION_LIMIT:
            raise ApiFailure(
                codes.CHECK_PARAMETERS,
                f"description must be text of at most {DESCRIPTION_LIMIT} characters.",
                field="description",
            )
        parsed.append((resource, action, description.strip()))
    if len({(r, a) for r, a, _ in parsed}) != len(parsed):
        raise ApiFailure(codes.CHECK_PARAMETERS, "a permission is listed twice.", field="permissions")
    return parsed


@bp.post("/app/permissions")
@guarded(partner=False)
def create_permissions() -> Response:
    """Admins only (assumed). New pairs are unknown to the platform's code, hence `enforced: false`."""
    if not current_caller().user.is_admin:
        raise ApiFailure(codes.PERMISSION_DENIED)
    parsed = _parse(json_body())
    for resource, action, _ in parsed:
        exists = session.scalars(
            select(Permission).where(Permission.resource == resource, Permission.action == action)
        ).first()
        if exists is not None:
            raise ApiFailure(
                codes.CHECK_PARAMETERS, f"{resource}:{action} already exists.", field="permissions"
            )
    module = _custom_module()
    created = [
        Permission(resource=r, action=a, description=d, module_id=module.id, enforced=False)
        for r, a, d in parsed
    ]
    session.add_all(created)
    session.commit()
    return ok([{**permission_json(p), "enforced": p.enforced} for p in created], status=201)
