"""The "known device" mark: a long-lived signed cookie set after a complete sign-in (password and code).

It lets the console's own per-email failure limit tell the operator's browser from everyone else: failures
typed elsewhere under that e-mail are not counted against a browser bearing the mark (SECURITY.md, "Sign-in
failures and lock-out"). It is no credential: it signs nobody in, skips no step, and the per-address limit
still applies to it.

The value is a random device id and a keyed hash of the lower-cased e-mail, signed with the app's secret and
timestamped; no personal data, nothing a JWT scanner could mistake for a token. A mark bound to another
e-mail, tampered with or older than MAX_AGE is ignored. An explicit sign-out forgets it with the rest of the
site's cookies (`Clear-Site-Data`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, TimestampSigner
from werkzeug.wrappers import Response

MAX_AGE = 90 * 24 * 3600
_SALT = "console-known-device"


def cookie_name() -> str:
    """`__Host-` whenever cookies are Secure, as for the session cookie."""
    return "__Host-known_device" if current_app.config.get("SESSION_COOKIE_SECURE") else "known_device"


def _signer() -> TimestampSigner:
    return TimestampSigner(str(current_app.config["SECRET_KEY"]), salt=_SALT)


def _email_tag(email: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, b"known-device-email:" + email.strip().lower().encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def remember(response: Response, email: str) -> None:
    """Mark this browser as a known device of `email` (replacing any earlier mark)."""
    value = _signer().sign(f"{secrets.token_urlsafe(16)}:{_email_tag(email)}").decode()
    response.set_cookie(
        cookie_name(),
        value,
        max_age=MAX_AGE,
        path="/",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


def device_of(email: str) -> str | None:
    """The device id of this request's mark when it is valid and bound to `email`, else None."""
    raw = request.cookies.get(cookie_name())
    if not raw:
        return None
    try:
        value = _signer().unsign(raw, max_age=MAX_AGE).decode()
    except BadSignature:  # also SignatureExpired
        return None
    device, _, tag = value.partition(":")
    if not device or not hmac.compare_digest(tag, _email_tag(email)):
        return None
    return device
