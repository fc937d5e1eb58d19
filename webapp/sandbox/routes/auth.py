"""Sign-in: the merchant app token (#1, #2), the operator user token (#3, #4) and the OTP step (#5, #6)."""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Blueprint, Response, current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash

from webapp.sandbox import codes, notices, otp, profile, tokens
from webapp.sandbox.clock import now, utcnow
from webapp.sandbox.db import begin_write, session
from webapp.sandbox.envelope import ApiFailure, field_errors, ok
from webapp.sandbox.guard import authenticate, json_body, require_app_token
from webapp.sandbox.models import CmsUser, Merchant, UnknownLogin, hash_password

bp = Blueprint("sandbox_auth", __name__)


VERBATIM_FIELDS = frozenset({"password", "otp"})
NO_SPACE_FIELDS = frozenset({"merchant", "email"})
"""Sent without any whitespace at all (the contract's `^[^<whitespace>]+$`, Python's `\\s` exactly)."""
NO_SPACE = re.compile(r"\S+")


def _strings(body: dict[str, object], *names: str) -> dict[str, str]:
    """The named fields as non-empty, unpadded strings, or one 400 7000 naming every missing or padded one.

    Passwords and codes are taken byte for byte: spaces at either end are part of them (a padded code is then
    refused as malformed)."""
    values = {name: body.get(name) for name in names}
    missing = {
        n: f"{n} is required."
        for n, v in values.items()
        if not isinstance(v, str) or not (v if n in VERBATIM_FIELDS else v.strip())
    }
    padded = {
        n: f"{n} must not start or end with spaces."
        for n, v in values.items()
        if n not in missing and n not in VERBATIM_FIELDS and str(v) != str(v).strip()
    }
    padded.update(
        {
            n: f"{n} must not contain spaces."
            for n, v in values.items()
            if n in NO_SPACE_FIELDS
            and n not in missing
            and n not in padded
            and not NO_SPACE.fullmatch(str(v))
        }
    )
    if missing or padded:
        raise field_errors(codes.CHECK_PARAMETERS, {**missing, **padded})
    return {n: str(v) for n, v in values.items()}


# -- application token --------------------------------------------------------------------------------------


def _verify_merchant(merchant: str, timestamp: str, signature: str) -> None:
    record = session.get(Merchant, merchant)
    if record is None or not timestamp.isdigit():
        raise ApiFailure(codes.MERCHANT_SIGNATURE_INVALID)
    skew = int(current_app.config["SANDBOX_MERCHANT_CLOCK_SKEW"])
    if abs(now() - int(timestamp)) > skew:
        raise ApiFailure(codes.MERCHANT_SIGNATURE_INVALID)
    try:
        raw = base64.b64decode(signature, validate=True)
        key = serialization.load_pem_public_key(record.public_key_pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ApiFailure(codes.MERCHANT_SIGNATURE_INVALID)
        key.verify(raw, f"{merchant}:{timestamp}".encode())
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise ApiFailure(codes.MERCHANT_SIGNATURE_INVALID) from exc


SIGNED_FIELDS = ("timestamp", "signature")


@bp.post("/app/auth/login")
def app_login() -> Response:
    """The documented body is `{merchant}`. The signed variant adds `timestamp` and `signature`: checked
    whenever sent, and required when `SANDBOX_APP_LOGIN` is `signed` (ASSUMPTIONS.md §2)."""
    body = json_body()
    if isinstance(body.get("timestamp"), int) and not isinstance(body.get("timestamp"), bool):
        body["timestamp"] = str(body["timestamp"])
    signed = current_app.config["SANDBOX_APP_LOGIN"] == "signed" or any(
        body.get(name) is not None for name in SIGNED_FIELDS
    )
    if signed:
        fields = _strings(body, "merchant", *SIGNED_FIELDS)
        _verify_merchant(fields["merchant"], fields["timestamp"], fields["signature"])
    else:
        fields = _strings(body, "merchant")
        if session.get(Merchant, fields["merchant"]) is None:
            raise ApiFailure(codes.MERCHANT_SIGNATURE_INVALID)
    pair = tokens.issue_app_pair(fields["merchant"])
    session.commit()
    return ok(pair)


@bp.post("/app/auth/refresh")
def app_refresh() -> Response:
    fields = _strings(json_body(), "refreshToken")
    record = tokens.consume_refresh(fields["refreshToken"], tokens.APP_REFRESH)
    if record.merchant is None or session.get(Merchant, record.merchant) is None:
        raise ApiFailure(codes.TOKEN_INVALID)
    pair = tokens.issue_app_pair(record.merchant, family=record.family)
    session.commit()
    return ok(pair)


# -- operator sign-in ---------------------------------------------------------------------------------------


@functools.cache
def _decoy_hash() -> str:
    """Checked against for unknown e-mails, so that they cost the same time as a wrong password."""
    return hash_password("not-a-real-password")


def _locked_failure(counter: CmsUser | UnknownLogin) -> ApiFailure:
    wait = max(1, math.ceil((counter.locked_until or 0) - now()))
    return ApiFailure(codes.USER_LOCKED, headers={"Retry-After": str(wait)})


def _counter(email: str, user: CmsUser | None) -> CmsUser | UnknownLogin:
    """Where this e-mail's failed passwords are counted: on the operator, or on a row of its own when the
    e-mail is no operator's (created on first use)."""
    if user is not None:
        session.refresh(user)  # read again under the write lock: a concurrent failure may have counted
        return user
    found = session.get(UnknownLogin, email)
    if found is None:
        found = UnknownLogin(email=email, failed_count=0, locked_until=None)
        session.add(found)
    return found


@bp.post("/app/users/login")
def user_login() -> Response:
    """Unknown e-mails are counted and locked exactly like operators' (same threshold, same 8003 and
    `Retry-After`), and every path checks one password hash, so neither the answer nor its time tells whether
    the e-mail exists. Only a correct password learns that the operator is inactive (8004). When failures
    lock a real operator, the CMS mails them a notice (ASSUMPTIONS.md §2)."""
    require_app_token()
    fields = _strings(json_body(), "email", "password")
    email = fields["email"].lower()
    user = session.scalars(select(CmsUser).where(CmsUser.email == email)).first()
    matches = check_password_hash(user.password_hash if user else _decoy_hash(), fields["password"])
    begin_write()  # the counter is read and bumped as one step, also for two guesses at once
    counter = _counter(email, user)
    if counter.locked_until is not None and counter.locked_until > now():
        raise _locked_failure(counter)
    if user is None or not matches:
        counter.failed_count += 1
        threshold = int(current_app.config["SANDBOX_LOCKOUT_THRESHOLD"])
        if counter.failed_count >= threshold:
            counter.failed_count = 0
            counter.locked_until = now() + int(current_app.config["SANDBOX_LOCKOUT_SECONDS"])
            if user is not None:
                notices.send_lock_notice(user, threshold)
            session.commit()
            raise _locked_failure(counter)
        session.commit()
        raise ApiFailure(codes.INVALID_CREDENTIALS)
    if user.status != "active":
        raise ApiFailure(codes.USER_INACTIVE)
    user.failed_count = 0
    user.locked_until = None
    pair = tokens.issue_user_pair(user.id, stage=profile.login_stage())
    session.commit()
    return ok(
        {
            "id": user.id,
            "accessToken": pair["accessToken"],
            "refreshToken": pair["refreshToken"],
            "email": user.email,
            "name": user.name,
            "otpRequired": True,
        }
    )


@bp.post("/app/users/refresh")
def user_refresh() -> Response:
    fields = _strings(json_body(), "refreshToken")
    record = tokens.consume_refresh(fields["refreshToken"], tokens.USER_REFRESH)
    user = session.get(CmsUser, record.user_id) if record.user_id is not None else None
    if user is None:
        raise ApiFailure(codes.TOKEN_INVALID)
    if user.status != "active":
        raise ApiFailure(codes.USER_INACTIVE)
    pair = tokens.issue_user_pair(user.id, stage=record.stage or "otp", family=record.family)
    session.commit()
    return ok(pair)


# -- OTP ----------------------------------------------------------------------------------------------------


def _purpose(body: dict[str, object]) -> str:
    purpose = body.get("purpose")
    if purpose not in otp.PURPOSES:
        raise ApiFailure(codes.CHECK_PARAMETERS, "purpose must be login or elevation.", field="purpose")
    return str(purpose)


@bp.post("/app/users/auth/otp")
def otp_request() -> Response:
    """Always the same answer, so the endpoint does not tell which e-mails exist; a code is only sent when
    the e-mail is the caller's own."""
    caller = authenticate(allow_otp_stage=True)
    body = json_body()
    fields = _strings(body, "email")
    purpose = _purpose(body)
    ttl = int(current_app.config["SANDBOX_OTP_TTL"])
    if fields["email"].lower() == caller.user.email:
        ttl = otp.issue(caller.user, purpose)
        session.commit()
    return ok({"expiresIn": ttl})


@bp.put("/app/users/auth/otp")
def otp_verify() -> Response:
    """A correct code answers a new pair, fully signed in and elevated; the pair it replaces stops working."""
    caller = authenticate(allow_otp_stage=True)
    body = json_body()
    fields = _strings(body, "email", "otp")
    purpose = _purpose(body)
    if caller.claims.get("stage") != "full" and purpose != "login":
        raise ApiFailure(codes.OTP_REQUIRED)
    if fields["email"].lower() != caller.user.email:
        raise ApiFailure(codes.OTP_INVALID, field="otp")
    otp.check(caller.user, purpose, fields["otp"])
    if purpose == "login":
        caller.user.last_login_at = utcnow()
    if profile.documented():
        profile.elevate(caller.user.id)  # the caller's token stays; the elevation is remembered server side
        session.commit()
        return ok()
    tokens.retire_pair_of_access(str(caller.claims["jti"]))
    elevated_until = int(now()) + int(current_app.config["SANDBOX_ELEVATION_TTL"])
    pair = tokens.issue_user_pair(caller.user.id, stage="full", elevated_until=elevated_until)
    session.commit()
    return ok(
        {
            "accessToken": pair["accessToken"],
            "refreshToken": pair["refreshToken"],
            "elevatedUntil": elevated_until,
        }
    )
