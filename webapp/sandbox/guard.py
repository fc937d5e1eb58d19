"""What every protected sandbox route uses: the two-token guard, tenancy and permission checks, OTP step-up,
request-body helpers and `Idempotency-Key` handling.

Typical route:

    @bp.post("/app/partners/<int:partner_id>/cardholders")
    @guarded("cardholders", "create")
    @idempotent
    def create_cardholder(partner_id: int) -> Response:
        body = json_body()
        ...validate...
        require_otp(body.get("otp"))       # only for OTP-guarded operations
        caller = current_caller()          # Caller(user, partner_id, elevated)
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ParamSpec, cast

from flask import Response, current_app, g, make_response, request
from sqlalchemy import bindparam, select

from webapp.sandbox import codes, otp, profile, tokens
from webapp.sandbox.clock import now
from webapp.sandbox.db import session
from webapp.sandbox.envelope import ApiFailure
from webapp.sandbox.models import Assignment, CmsUser, Grant, IdempotencyRecord, Permission

P = ParamSpec("P")
IDEMPOTENCY_TTL = 24 * 3600
IDEMPOTENCY_KEY_MAX = 255  # the contract's IdempotencyKey parameter
BEARER = "Bearer "


@dataclass
class Caller:
    """The operator behind the current request."""

    user: CmsUser
    partner_id: int | None
    elevated: bool
    claims: dict[str, Any] = field(default_factory=dict)


def current_caller() -> Caller:
    return cast(Caller, g.caller)


# -- tokens -------------------------------------------------------------------------------------------------


def _bearer(header: str) -> str:
    value = request.headers.get(header, "")
    if not value.startswith(BEARER) or not value[len(BEARER) :].strip():
        raise ApiFailure(codes.TOKEN_INVALID)
    return value[len(BEARER) :].strip()


def require_app_token() -> dict[str, Any]:
    """`Authorization: Bearer <app JWT>` → its claims, or 401 8000/8001."""
    return tokens.decode(_bearer("Authorization"), tokens.APP)


_USER_BY_ID = select(CmsUser).where(CmsUser.id == bindparam("user_id"))


def user_by_id(user_id: int) -> CmsUser | None:
    """`session.get(CmsUser, user_id)` with its select built once: every guarded call loads its caller,
    in a session of its own, and `session.get` built a new select for each."""
    found: CmsUser | None = session.scalars(_USER_BY_ID, {"user_id": user_id}).first()
    return found


def _user_from_token(*, allow_otp_stage: bool) -> tuple[CmsUser, dict[str, Any]]:
    claims = tokens.decode(_bearer("x-user-token"), tokens.USER)
    sub = str(claims.get("sub", ""))
    if not sub.startswith("user:") or not sub[5:].isdigit():
        raise ApiFailure(codes.TOKEN_INVALID)
    user = user_by_id(int(sub[5:]))
    if user is None:
        raise ApiFailure(codes.TOKEN_INVALID)
    if user.status != "active":
        raise ApiFailure(codes.USER_INACTIVE)
    if claims.get("stage") != "full" and not allow_otp_stage:
        raise ApiFailure(codes.OTP_REQUIRED)
    return user, claims


# -- tenancy and permissions --------------------------------------------------------------------------------


def is_assigned(user: CmsUser, partner_id: int) -> bool:
    return _grants_of(user, partner_id) is not None


def has_permission(user: CmsUser, partner_id: int, resource: str, action: str) -> bool:
    """True when the operator is assigned to the partner and holds `resource:action` there."""
    return (resource, action) in (_grants_of(user, partner_id) or ())


@dataclass(frozen=True)
class PartnerGrants:
    """One operator's grants on one partner they are assigned to, as one query read them."""

    pairs: frozenset[tuple[str, str]]  # (resource, action)
    permissions: tuple[dict[str, Any], ...]  # the #7 answer's items, by permission id


# Built once: building the select (joins, comparisons, coercions) on every guarded call cost more CPU than
# running it. The values go in as bound parameters.
_GRANTS_OF = (
    select(
        Assignment.partner_id,
        Permission.permission_id,
        Permission.resource,
        Permission.action,
        Permission.description,
    )
    .outerjoin(
        Grant,
        (Grant.user_id == Assignment.user_id) & (Grant.partner_id == Assignment.partner_id),
    )
    .outerjoin(Permission, Permission.permission_id == Grant.permission_id)
    .where(Assignment.user_id == bindparam("user_id"), Assignment.partner_id == bindparam("partner_id"))
    .order_by(Permission.permission_id)
)


def partner_grants(user_id: int, partner_id: int) -> PartnerGrants | None:
    """The operator's grants on the partner, or None when not assigned to it.

    One query, remembered for the rest of the request: a guarded call asks about tenancy and then one or
    more permissions of the same operator and partner, and the permissions read (#7) answers the same rows.
    Routes that change assignments or grants call `forget_grants()` before they check again.
    """
    memo: dict[tuple[int, int], PartnerGrants | None] = g.setdefault("sandbox_grants", {})
    key = (user_id, partner_id)
    if key not in memo:
        rows = session.execute(_GRANTS_OF, {"user_id": user_id, "partner_id": partner_id}).all()
        granted = [row for row in rows if row.permission_id is not None]
        memo[key] = (
            PartnerGrants(
                pairs=frozenset((row.resource, row.action) for row in granted),
                permissions=tuple(
                    {
                        "permissionId": row.permission_id,
                        "resource": row.resource,
                        "action": row.action,
                        "description": row.description,
                    }
                    for row in granted
                ),
            )
            if rows
            else None
        )
    return memo[key]


def _grants_of(user: CmsUser, partner_id: int) -> frozenset[tuple[str, str]] | None:
    """The operator's `(resource, action)` pairs on the partner, or None when not assigned to it."""
    found = partner_grants(user.id, partner_id)
    return None if found is None else found.pairs


def forget_grants() -> None:
    """Drop the request's remembered tenancy and grants (after a route changed them)."""
    g.pop("sandbox_grants", None)


def require_permission(resource: str, action: str, partner_id: int | None = None) -> None:
    """403 8011 unless the caller holds `resource:action` on the partner (default: the route's partner)."""
    require_any_permission([(resource, action)], partner_id)


def require_any_permission(pairs: Iterable[tuple[str, str]], partner_id: int | None = None) -> None:
    """403 8011 unless the caller holds at least one of the pairs (e.g. `balance-management:list` or
    `approvals:detail`)."""
    caller = current_caller()
    pid = partner_id if partner_id is not None else caller.partner_id
    if pid is None or not any(has_permission(caller.user, pid, r, a) for r, a in pairs):
        raise ApiFailure(codes.PERMISSION_DENIED)


def _route_partner(kwargs: dict[str, Any]) -> int | None:
    raw = kwargs.get("partner_id", kwargs.get("client_id"))
    if raw is None:
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def authenticate(*, allow_otp_stage: bool = False) -> Caller:
    """Both tokens checked; sets `g.caller` without any partner. Used by `guarded` and by routes that accept a
    token still pending its login OTP (`GET /app/users/me`, OTP request and verify)."""
    require_app_token()
    user, claims = _user_from_token(allow_otp_stage=allow_otp_stage)
    elevated = int(claims.get("elv") or 0) > now() or profile.elevated_server_side(user.id)
    caller = Caller(user=user, partner_id=None, elevated=elevated, claims=claims)
    g.caller = caller
    return caller


def guarded(
    resource: str | None = None, action: str | None = None, *, partner: bool = True
) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Protect a view: app token, user token, then (when `partner`) tenancy on the `partner_id`/`client_id`
    URL argument (403 8010) and, when given, `resource:action` on that partner (403 8011).

    With `partner=False` the resource/action pair is not checked: such routes (grants across partners) check
    permissions themselves with `require_permission(..., partner_id=...)`.
    """

    def decorate(view: Callable[P, Response]) -> Callable[P, Response]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            caller = authenticate()
            if partner:
                pid = _route_partner(dict(kwargs))
                if pid is None or not is_assigned(caller.user, pid):
                    raise ApiFailure(codes.PARTNER_NOT_ASSIGNED)
                caller.partner_id = pid
                if resource is not None and action is not None:
                    require_permission(resource, action)
            return view(*args, **kwargs)

        return wrapper

    return decorate


# -- OTP step-up --------------------------------------------------------------------------------------------


def otp_satisfied() -> bool:
    """True when the caller needs no further OTP right now (not subject to elevation, or elevated)."""
    caller = current_caller()
    return not caller.user.otp_elevation or caller.elevated


def otp_field(body: Mapping[str, Any]) -> str | None:
    """The inline `otp` of a JSON body, None when the body has none. Sent, it must be a string (the contract's
    six digits; a string of another shape is judged by `require_otp`, 8006): any other JSON value, `null`
    included, is 400 7000 naming `otp`. Call it with the rest of the body's validation."""
    if "otp" not in body:
        return None
    code = body["otp"]
    if not isinstance(code, str):
        raise ApiFailure(codes.CHECK_PARAMETERS, "otp must be a string of six digits.", field="otp")
    return code


def require_otp(inline_otp: object) -> None:
    """An inline code, when sent, is always checked and consumed: it must be a live `elevation` code of the
    caller, exactly six ASCII digits (400 8006 wrong or malformed, 400 8007 stale), whether or not the caller
    needed one. Without a code the call passes when the caller is not subject to OTP elevation or is
    elevated, and is refused with 403 8005 otherwise.

    Call it after the request's own validation and permission checks, so a refused request does not burn the
    operator's code.
    """
    if inline_otp is not None:
        otp.check(current_caller().user, "elevation", inline_otp)
        return
    if not otp_satisfied():
        raise ApiFailure(codes.OTP_REQUIRED)


# -- request bodies -----------------------------------------------------------------------------------------


def json_body() -> dict[str, Any]:
    """The JSON object of the request, `{}` when there is no body; 400 7000 for anything else."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiFailure(codes.CHECK_PARAMETERS, "The body must be a JSON object.")
    return data


def body_fingerprint() -> str:
    """sha256 over what identifies a request body: canonical JSON, or multipart fields plus file bytes.

    An inline `otp` is left out: it is a credential, not part of what is being created, and a client that
    retries after 8005 with a code must still match its first attempt.
    """
    digest = hashlib.sha256()
    if request.mimetype == "multipart/form-data" or request.mimetype == "application/x-www-form-urlencoded":
        for name in sorted(request.form.keys()):
            if name == "otp":
                continue
            for value in request.form.getlist(name):
                digest.update(f"form:{name}={value}\n".encode())
        for name in sorted(request.files.keys()):
            for upload in request.files.getlist(name):
                content = upload.stream.read()
                upload.stream.seek(0)
                digest.update(f"file:{name}:{upload.filename}:".encode())
                digest.update(hashlib.sha256(content).digest())
        return digest.hexdigest()
    data = request.get_json(silent=True)
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "otp"}
        digest.update(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


# -- idempotency --------------------------------------------------------------------------------------------

_key_locks: dict[tuple[int, str], threading.Lock] = {}
_key_locks_guard = threading.Lock()


def _lock_for(user_id: int, key: str) -> threading.Lock:
    with _key_locks_guard:
        return _key_locks.setdefault((user_id, key), threading.Lock())


def _replay(record: IdempotencyRecord) -> Response:
    resp = current_app.response_class(record.body, status=record.status, content_type=record.content_type)
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def idempotent(view: Callable[P, Response]) -> Callable[P, Response]:
    """Honour `Idempotency-Key` on a create (place it under `@guarded`).

    Same operator + key + route + body within 24 h → the stored first answer with `Idempotent-Replayed: true`;
    a different body or route → 409 8022. Only 2xx answers are stored, so a refused attempt can be corrected
    and sent again with the same key.
    """

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX:
            raise ApiFailure(
                codes.CHECK_PARAMETERS,
                f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} characters.",
                field="Idempotency-Key",
            )
        user_id = current_caller().user.id
        route = f"{request.method} {request.path}"
        fingerprint = body_fingerprint()
        with _lock_for(user_id, key):
            record = session.scalars(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
                )
            ).first()
            if record is not None and record.created_at + IDEMPOTENCY_TTL <= now():
                session.delete(record)
                session.commit()
                record = None
            if record is not None:
                if record.route != route or record.body_hash != fingerprint:
                    raise ApiFailure(codes.IDEMPOTENCY_CONFLICT)
                return _replay(record)
            resp = make_response(view(*args, **kwargs))
            if 200 <= resp.status_code < 300 and not resp.is_streamed:
                session.add(
                    IdempotencyRecord(
                        key=key,
                        user_id=user_id,
                        route=route,
                        body_hash=fingerprint,
                        status=resp.status_code,
                        content_type=resp.content_type or "application/json",
                        body=resp.get_data(),
                        created_at=now(),
                    )
                )
                session.commit()
            return resp

    return wrapper
