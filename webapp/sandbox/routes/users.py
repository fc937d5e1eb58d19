"""CMS operators: who am I, their permissions (#7), user management and permission grants (assumed ops)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import delete, func, or_, select

from webapp.sandbox import codes
from webapp.sandbox.camel import columns_by_key
from webapp.sandbox.db import session
from webapp.sandbox.envelope import ApiFailure, field_errors, ok, page, page_args, sort_args
from webapp.sandbox.guard import (
    authenticate,
    current_caller,
    forget_grants,
    guarded,
    has_permission,
    idempotent,
    is_assigned,
    json_body,
    otp_field,
    partner_grants,
    require_otp,
    require_permission,
    user_by_id,
)
from webapp.sandbox.models import Assignment, CmsUser, Grant, Permission, hash_password
from webapp.sandbox.platform_shapes import user_json, user_permissions_json

bp = Blueprint("sandbox_users", __name__)

MAX_ID = 2_147_483_647  # the contract's identifiers: 1 to 2^31-1

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
"""The contract's `CmsUserEmail` pattern (Python's `\\s` is the whitespace class the contract spells out)."""
NAME_LIMIT = 100
EMAIL_LIMIT = 254
_SORT_COLUMNS = columns_by_key(CmsUser, "created_at", "name", "email", "status", "last_login_at")


def _partner_user(partner_id: int, cms_user_id: int) -> CmsUser:
    """A user assigned to that partner; 404 7100 otherwise (whether they exist elsewhere is not told)."""
    user = user_by_id(cms_user_id)
    if user is None or not is_assigned(user, partner_id):
        raise ApiFailure(codes.USER_NOT_FOUND)
    return user


def _email_taken(email: str, except_id: int | None = None) -> bool:
    found = session.scalars(select(CmsUser).where(CmsUser.email == email)).first()
    return found is not None and found.id != except_id


def validate_profile(body: dict[str, Any], *, partial: bool) -> dict[str, str]:
    """`name` and `email` as the contract's `NewCmsUser` / `CmsUserUpdate` say: both required unless
    `partial`, and then at least one of them; taken as sent (a padded value is refused, never trimmed); the
    e-mail is stored in lower case. 400 7000 per offending field."""
    problems: dict[str, str] = {}
    clean: dict[str, str] = {}
    for name in ("name", "email"):
        if partial and name not in body:
            continue
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            problems[name] = f"{name} is required."
        elif value != value.strip():
            problems[name] = f"{name} must not start or end with spaces."
        elif name == "email" and (len(value) > EMAIL_LIMIT or not EMAIL.fullmatch(value)):
            problems[name] = "email is not a valid address."
        elif name == "name" and len(value) > NAME_LIMIT:
            problems[name] = f"name must be at most {NAME_LIMIT} characters."
        else:
            clean[name] = value.lower() if name == "email" else value
    if partial and not problems and not clean:
        problems["body"] = "Send name, email or both."
    if problems:
        raise field_errors(codes.CHECK_PARAMETERS, problems)
    return clean


def password_problem(password: object) -> str | None:
    if not isinstance(password, str) or not 12 <= len(password) <= 128:
        return "password must be 12 to 128 characters."
    if not re.search(r"[A-Za-z]", password) or not re.search(r"[0-9]", password):
        return "password must contain letters and digits."
    return None


# -- the operator themselves --------------------------------------------------------------------------------


@bp.get("/app/users/me")
def me() -> Response:
    """Also answers a token still pending its login OTP, so the console can show who is signing in."""
    caller = authenticate(allow_otp_stage=True)
    data = user_json(caller.user, with_partners=True)
    data.pop("createdAt", None)
    data.pop("locked", None)
    return ok(data)


@bp.get("/app/users/<int:cms_user_id>/partners/<int:partner_id>/permissions")
@guarded()
def user_permissions(cms_user_id: int, partner_id: int) -> Response:
    caller = current_caller()
    if cms_user_id != caller.user.id:
        require_permission("users", "detail")
    # One query says whether the user is on the partner and answers the rows (the caller's own were read by
    # the guard). An assignment needs its user (foreign key), so none is `_partner_user`'s 404 7100, without
    # loading the user.
    grants = partner_grants(cms_user_id, partner_id)
    if grants is None:
        raise ApiFailure(codes.USER_NOT_FOUND)
    return ok({"cmsUserId": cms_user_id, "partnerId": partner_id, "permissions": list(grants.permissions)})


# -- user management ----------------------------------------------------------------------------------------


@bp.get("/app/partners/<int:partner_id>/users")
@guarded("users", "list")
def list_users(partner_id: int) -> Response:
    number, limit = page_args()
    sort_by, descending = sort_args(tuple(_SORT_COLUMNS))
    query = (
        select(CmsUser)
        .join(Assignment, Assignment.user_id == CmsUser.id)
        .where(Assignment.partner_id == partner_id)
    )
    status = request.args.get("status", "").strip()
    if status:
        if status not in {"active", "inactive"}:
            raise ApiFailure(codes.CHECK_PARAMETERS, "status must be active or inactive.", field="status")
        query = query.where(CmsUser.status == status)
    text = request.args.get("searchText", "").strip().lower()
    if text:
        like = f"%{text}%"
        query = query.where(or_(func.lower(CmsUser.name).like(like), CmsUser.email.like(like)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    column = _SORT_COLUMNS[sort_by]
    ordered = query.order_by(column.desc() if descending else column.asc(), CmsUser.id.asc())
    users = session.scalars(ordered.offset((number - 1) * limit).limit(limit))
    return ok(page([user_json(u) for u in users], page=number, limit=limit, total=total))


@bp.get("/app/partners/<int:partner_id>/users/<int:cms_user_id>")
@guarded("users", "detail")
def user_detail(partner_id: int, cms_user_id: int) -> Response:
    return ok(user_json(_partner_user(partner_id, cms_user_id), with_partners=True))


@bp.post("/app/partners/<int:partner_id>/users")
@guarded("users", "create")
@idempotent
def create_user(partner_id: int) -> Response:
    body = json_body()
    profile = validate_profile(body, partial=False)
    problem = password_problem(body.get("password"))
    if problem:
        raise field_errors(codes.CHECK_PARAMETERS, {"password": problem})
    code = otp_field(body)
    if _email_taken(profile["email"]):
        raise ApiFailure(codes.EMAIL_TAKEN, field="email")
    require_otp(code)
    user = CmsUser(
        email=profile["email"],
        name=profile["name"],
        password_hash=hash_password(str(body["password"])),
        status="active",
        is_admin=False,
        otp_elevation=True,
        failed_count=0,
    )
    session.add(user)
    session.flush()
    session.add(Assignment(user_id=user.id, partner_id=partner_id))
    session.commit()
    return ok(user_json(user, with_partners=True), status=201)


@bp.patch("/app/partners/<int:partner_id>/users/<int:cms_user_id>")
@guarded("users", "update")
def update_user(partner_id: int, cms_user_id: int) -> Response:
    user = _partner_user(partner_id, cms_user_id)
    changes = validate_profile(json_body(), partial=True)
    if "email" in changes and _email_taken(changes["email"], except_id=user.id):
        raise ApiFailure(codes.EMAIL_TAKEN, field="email")
    for name, value in changes.items():
        setattr(user, name, value)
    session.commit()
    return ok(user_json(user, with_partners=True))


@bp.put("/app/partners/<int:partner_id>/users/<int:cms_user_id>/status")
@guarded("users", "change_status")
def change_status(partner_id: int, cms_user_id: int) -> Response:
    body = json_body()
    status = body.get("status")
    if status not in ("active", "inactive"):  # a tuple: a sent object or list is unhashable
        raise ApiFailure(codes.CHECK_PARAMETERS, "status must be active or inactive.", field="status")
    code = otp_field(body)
    user = _partner_user(partner_id, cms_user_id)
    if user.id == current_caller().user.id:
        raise ApiFailure(codes.SELF_PERMISSION_CHANGE, "You cannot change your own status.")
    require_otp(code)
    user.status = str(status)
    session.commit()
    return ok(user_json(user, with_partners=True))


# -- permission grants --------------------------------------------------------------------------------------


def _grant_entries(body: dict[str, Any]) -> list[tuple[int, int]]:
    """`[{permissionId, partnerId}]` → unique `(permissionId, partnerId)` pairs; partner is mandatory."""
    items = body.get("permissions")
    if not isinstance(items, list) or not items:
        raise ApiFailure(codes.CHECK_PARAMETERS, "permissions must be a non-empty list.", field="permissions")
    pairs: list[tuple[int, int]] = []
    for item in items:
        ids = [item.get(k) if isinstance(item, dict) else None for k in ("permissionId", "partnerId")]
        if not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_ID for v in ids):
            raise ApiFailure(
                codes.CHECK_PARAMETERS,
                "each entry needs a numeric permissionId and partnerId.",
                field="permissions",
            )
        pair = (int(ids[0]), int(ids[1]))  # type: ignore[arg-type]
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def _authorise_grant_change(cms_user_id: int, pairs: list[tuple[int, int]]) -> CmsUser:
    """Checks shared by grant and revoke, most general first; the OTP comes after them all."""
    caller = current_caller()
    target = session.get(CmsUser, cms_user_id)
    if target is None:
        raise ApiFailure(codes.USER_NOT_FOUND)
    if target.id == caller.user.id:
        raise ApiFailure(codes.SELF_PERMISSION_CHANGE)
    for partner_id in sorted({pid for _, pid in pairs}):
        if not is_assigned(caller.user, partner_id):
            raise ApiFailure(codes.PARTNER_NOT_ASSIGNED)
        require_permission("users", "update", partner_id=partner_id)
    for permission_id, partner_id in pairs:
        permission = session.get(Permission, permission_id)
        if permission is None:
            raise ApiFailure(
                codes.CHECK_PARAMETERS, f"Unknown permissionId {permission_id}.", field="permissions"
            )
        if not has_permission(caller.user, partner_id, permission.resource, permission.action):
            raise ApiFailure(codes.GRANT_ESCALATION)
    return target


def _answer(target: CmsUser, pairs: list[tuple[int, int]]) -> Response:
    partner_ids = sorted({pid for _, pid in pairs})
    return ok([user_permissions_json(target.id, pid) for pid in partner_ids])


def _checked_grant_change(cms_user_id: int) -> tuple[CmsUser, list[tuple[int, int]]]:
    """The target and the (permission, partner) pairs of a grant or revoke, once the caller may change them
    and the body's OTP is good (the same checks in the same order for both)."""
    body = json_body()
    pairs = _grant_entries(body)
    code = otp_field(body)
    target = _authorise_grant_change(cms_user_id, pairs)
    require_otp(code)
    return target, pairs


@bp.post("/app/users/<int:cms_user_id>/permissions")
@guarded(partner=False)
def grant_permissions(cms_user_id: int) -> Response:
    """Granting on a partner the target is not assigned to also assigns them (grants are how access is
    given across partners; there is no separate assignment operation)."""
    target, pairs = _checked_grant_change(cms_user_id)
    for permission_id, partner_id in pairs:
        if not is_assigned(target, partner_id):
            session.add(Assignment(user_id=target.id, partner_id=partner_id))
            session.flush()
            forget_grants()
        if session.get(Grant, (target.id, partner_id, permission_id)) is None:
            session.add(Grant(user_id=target.id, partner_id=partner_id, permission_id=permission_id))
    session.commit()
    return _answer(target, pairs)


@bp.post("/app/users/<int:cms_user_id>/permissions/revoke")
@guarded(partner=False)
def revoke_permissions(cms_user_id: int) -> Response:
    target, pairs = _checked_grant_change(cms_user_id)
    for permission_id, partner_id in pairs:
        session.execute(
            delete(Grant).where(
                Grant.user_id == target.id,
                Grant.partner_id == partner_id,
                Grant.permission_id == permission_id,
            )
        )
    session.commit()
    return _answer(target, pairs)
