"""`/_sandbox/...`: the sandbox's own controls (faults, call log, mailbox, runtime knobs, test users).

Never part of the API contract. The sandbox binds to loopback by default, and these routes are for the
developer and the tests on that machine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Blueprint, Response, current_app, jsonify, request
from markupsafe import escape
from sqlalchemy import select

from webapp.sandbox import codes, faults
from webapp.sandbox.camel import as_json
from webapp.sandbox.clock import iso, now
from webapp.sandbox.config import RUNTIME_KNOBS, knob_name
from webapp.sandbox.db import session
from webapp.sandbox.envelope import ApiFailure
from webapp.sandbox.guard import json_body
from webapp.sandbox.models import (
    Assignment,
    CmsUser,
    Grant,
    MailMessage,
    Merchant,
    Partner,
    Permission,
    hash_password,
)
from webapp.sandbox.platform_shapes import partner_json, user_json
from webapp.sandbox.routes.users import EMAIL

bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")


# -- faults and calls ---------------------------------------------------------------------------------------


@bp.post("/faults")
def add_fault() -> Response:
    fault = faults.board().add(json_body())
    return jsonify({"fault": fault})


@bp.get("/faults")
def list_faults() -> Response:
    return jsonify({"faults": faults.board().active()})


@bp.delete("/faults")
def clear_faults() -> Response:
    faults.board().clear()
    return jsonify({"faults": []})


@bp.get("/calls")
def list_calls() -> Response:
    return jsonify({"calls": faults.board().calls(request.args.get("route"))})


@bp.delete("/calls")
def clear_calls() -> Response:
    faults.board().clear_calls()
    return jsonify({"calls": []})


# -- mailbox ------------------------------------------------------------------------------------------------


def _messages(email: str | None, limit: int) -> list[MailMessage]:
    query = select(MailMessage).order_by(MailMessage.id.desc()).limit(limit)
    if email:
        query = query.where(MailMessage.to == email.strip().lower())
    return list(session.scalars(query))


def _message_json(message: MailMessage) -> dict[str, Any]:
    return as_json(message, "to", "subject", "code", "purpose", "sent_at")


_EMPTY_ROW = '<tr><td colspan="5">No messages yet.</td></tr>'
_PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}"
    "code{font-size:1.2rem;letter-spacing:.15rem}"
)


def _mailbox_page(messages: list[MailMessage]) -> Response:
    """Escaped values only, and a policy that forbids any script on the page."""
    rows = "".join(
        f"<tr><td>{escape(iso(m.sent_at) or '')}</td><td>{escape(m.to)}</td><td>{escape(m.subject)}</td>"
        f"<td>{escape(m.purpose or '')}</td><td><code>{escape(m.code or '')}</code></td></tr>"
        for m in messages
    )
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox mailbox</title>'
        f"<style>{_PAGE_STYLE}</style></head><body><h1>Sandbox mailbox</h1>"
        "<p>The latest 50 messages the CMS sandbox has sent, newest first.</p>"
        "<table><thead><tr><th>Sent (UTC)</th><th>To</th><th>Subject</th><th>Purpose</th><th>Code</th></tr>"
        f"</thead><tbody>{rows or _EMPTY_ROW}</tbody></table>"
        "</body></html>"
    )
    resp = current_app.response_class(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/mailbox")
def mailbox() -> Response:
    wants_html = request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    if wants_html:
        return _mailbox_page(_messages(request.args.get("email"), 50))
    messages = _messages(request.args.get("email"), 200)
    resp = jsonify({"messages": [_message_json(m) for m in messages]})
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/mailbox.html")
def mailbox_html() -> Response:
    return _mailbox_page(_messages(request.args.get("email"), 50))


# -- runtime knobs and merchants ----------------------------------------------------------------------------


def _knobs() -> dict[str, Any]:
    return {name: current_app.config[name] for name in sorted(RUNTIME_KNOBS)}


@bp.get("/config")
def show_config() -> Response:
    return jsonify({"config": _knobs()})


@bp.post("/config")
def change_config() -> Response:
    """Integer knobs only; all are validated before any is applied. Answers the previous values too, so a
    test can restore them."""
    updates: dict[str, int] = {}
    for raw_name, value in json_body().items():
        name = knob_name(raw_name)
        if name not in RUNTIME_KNOBS:
            raise ApiFailure(codes.CHECK_PARAMETERS, f"{raw_name} is not a runtime knob.", field=raw_name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ApiFailure(codes.CHECK_PARAMETERS, f"{raw_name} must be an integer.", field=raw_name)
        if value < 0 and name != "SANDBOX_CLOCK_OFFSET":
            raise ApiFailure(codes.CHECK_PARAMETERS, f"{raw_name} must not be negative.", field=raw_name)
        updates[name] = value
    previous = {name: current_app.config[name] for name in updates}
    current_app.config.update(updates)
    return jsonify({"config": _knobs(), "previous": previous})


def _public_key_pem(value: object) -> bytes:
    if not isinstance(value, str):
        raise ApiFailure(codes.CHECK_PARAMETERS, "publicKey must be a PEM string.", field="publicKey")
    try:
        key = serialization.load_pem_public_key(value.encode())
    except ValueError as exc:
        raise ApiFailure(codes.CHECK_PARAMETERS, "publicKey is not a PEM key.", field="publicKey") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ApiFailure(codes.CHECK_PARAMETERS, "publicKey must be an Ed25519 key.", field="publicKey")
    return value.encode()


def upsert_merchant(slug: str, public_key_pem: bytes) -> None:
    merchant = session.get(Merchant, slug)
    if merchant is None:
        session.add(Merchant(slug=slug, public_key_pem=public_key_pem))
    else:
        merchant.public_key_pem = public_key_pem


@bp.post("/merchants")
def add_merchant() -> Response:
    body = json_body()
    slug = body.get("merchant")
    if not isinstance(slug, str) or not slug.strip() or len(slug) > 100:
        raise ApiFailure(codes.CHECK_PARAMETERS, "merchant is required.", field="merchant")
    upsert_merchant(slug.strip(), _public_key_pem(body.get("publicKey")))
    session.commit()
    return jsonify({"merchant": slug.strip()})


# -- test users ---------------------------------------------------------------------------------------------


def _permission(pair: object) -> list[Permission]:
    """`"resource:action"`, or `"resource:*"` for every action of the resource."""
    if not isinstance(pair, str) or ":" not in pair:
        raise ApiFailure(codes.CHECK_PARAMETERS, f"{pair!r} is not resource:action.", field="permissions")
    resource, _, action = pair.partition(":")
    query = select(Permission).where(Permission.resource == resource)
    if action != "*":
        query = query.where(Permission.action == action)
    found = list(session.scalars(query))
    if not found:
        raise ApiFailure(codes.CHECK_PARAMETERS, f"Unknown permission {pair}.", field="permissions")
    return found


def _partner_ids(spec: dict[str, Any]) -> set[int]:
    raw = spec.get("partners") or []
    if not isinstance(raw, list) or not all(isinstance(p, int) for p in raw):
        raise ApiFailure(codes.CHECK_PARAMETERS, "partners must be a list of ids.", field="partners")
    permissions = spec.get("permissions") or {}
    if not isinstance(permissions, dict):
        raise ApiFailure(
            codes.CHECK_PARAMETERS, "permissions must map partner ids to lists.", field="permissions"
        )
    ids = set(raw)
    for key in permissions:
        if not str(key).isdigit():
            raise ApiFailure(codes.CHECK_PARAMETERS, f"{key!r} is not a partner id.", field="permissions")
        ids.add(int(key))
    for pid in ids:
        if session.get(Partner, pid) is None:
            raise ApiFailure(codes.CHECK_PARAMETERS, f"Unknown partner {pid}.", field="partners")
    return ids


def create_test_user(spec: dict[str, Any]) -> CmsUser:
    """Build an operator in one call: tenancy, permissions, flags and history as the test needs them."""
    email = str(spec.get("email") or "").strip().lower()
    if not EMAIL.match(email):
        raise ApiFailure(codes.CHECK_PARAMETERS, "email is not a valid address.", field="email")
    if session.scalars(select(CmsUser).where(CmsUser.email == email)).first() is not None:
        raise ApiFailure(codes.EMAIL_TAKEN, field="email")
    password = spec.get("password")
    if not isinstance(password, str) or not password:
        raise ApiFailure(codes.CHECK_PARAMETERS, "password is required.", field="password")
    status = spec.get("status", "active")
    if status not in {"active", "inactive"}:
        raise ApiFailure(codes.CHECK_PARAMETERS, "status must be active or inactive.", field="status")
    last_login = spec.get("lastLoginAt")
    try:
        last_login_at = datetime.fromisoformat(str(last_login).replace("Z", "+00:00")) if last_login else None
    except ValueError as exc:
        raise ApiFailure(codes.CHECK_PARAMETERS, "lastLoginAt is not ISO-8601.", field="lastLoginAt") from exc
    if last_login_at is not None and last_login_at.tzinfo is not None:
        last_login_at = last_login_at.astimezone(UTC).replace(tzinfo=None)
    partner_ids = _partner_ids(spec)
    user = CmsUser(
        email=email,
        name=str(spec.get("name") or email.split("@")[0]),
        password_hash=hash_password(password),
        status=status,
        is_admin=bool(spec.get("isAdmin", False)),
        otp_elevation=bool(spec.get("otpElevation", True)),
        last_login_at=last_login_at,
        failed_count=0,
        locked_until=now() + int(current_app.config["SANDBOX_LOCKOUT_SECONDS"])
        if spec.get("locked")
        else None,
    )
    session.add(user)
    session.flush()
    for pid in sorted(partner_ids):
        session.add(Assignment(user_id=user.id, partner_id=pid))
    for key, pairs in (spec.get("permissions") or {}).items():
        if not isinstance(pairs, list):
            raise ApiFailure(codes.CHECK_PARAMETERS, "permissions must map to lists.", field="permissions")
        granted: set[int] = set()
        for pair in pairs:
            for permission in _permission(pair):
                if permission.permission_id not in granted:
                    granted.add(permission.permission_id)
                    session.add(
                        Grant(user_id=user.id, partner_id=int(key), permission_id=permission.permission_id)
                    )
    return user


@bp.post("/users")
def add_user() -> Response:
    user = create_test_user(json_body())
    session.commit()
    return jsonify({"user": user_json(user, with_partners=True)})


@bp.post("/partners")
def add_partner() -> Response:
    """A further partner with an empty balance: benchmarks need more tenants than the demo seed has."""
    from webapp.sandbox.domain_models import Balance

    spec = json_body()
    name = str(spec.get("name") or "").strip()
    if not name:
        raise ApiFailure(codes.CHECK_PARAMETERS, "name is required.", field="name")
    partner = Partner(name=name, legal_name=str(spec.get("legalName") or name), branding={}, features=[])
    session.add(partner)
    session.flush()
    session.add(Balance(client_id=partner.partner_id, available=0, currency=partner.currency or "GTQ"))
    session.commit()
    return jsonify({"partner": partner_json(partner)})
