"""One-time codes: issue one into the sandbox mailbox, check one (wrong → 8006, stale → 8007)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import current_app
from sqlalchemy import select, update

from webapp.sandbox import codes
from webapp.sandbox.clock import now
from webapp.sandbox.db import session
from webapp.sandbox.envelope import ApiFailure
from webapp.sandbox.models import CmsUser, MailMessage, OtpCode

PURPOSES = ("login", "elevation")
WELL_FORMED = re.compile(r"[0-9]{6}")
"""Exactly six ASCII digits, nothing around them (`str.isdigit` would also take other scripts' digits)."""
MAX_ATTEMPTS = 5
_SUBJECTS = {
    "login": "Your Migo CMS sign-in code",
    "elevation": "Your Migo CMS confirmation code",
}


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def issue(user: CmsUser, purpose: str) -> int:
    """Send a fresh code (older live codes of the same purpose stop working); answers its lifetime."""
    ttl = int(current_app.config["SANDBOX_OTP_TTL"])
    session.execute(
        update(OtpCode)
        .where(OtpCode.user_id == user.id, OtpCode.purpose == purpose, OtpCode.used.is_(False))
        .values(used=True)
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(8)
    session.add(
        OtpCode(
            user_id=user.id, purpose=purpose, code_hash=_digest(salt, code), salt=salt, expires_at=now() + ttl
        )
    )
    session.add(
        MailMessage(
            to=user.email,
            subject=_SUBJECTS.get(purpose, "Your Migo CMS code"),
            body=f"Hello {user.name},\n\nyour code is {code}. It expires in {ttl // 60 or 1} minutes.\n",
            code=code,
            purpose=purpose,
        )
    )
    return ttl


def well_formed(code: object) -> bool:
    return isinstance(code, str) and WELL_FORMED.fullmatch(code) is not None


def check(user: CmsUser, purpose: str, code: object) -> OtpCode:
    """Match `code` against the newest code of that purpose and mark it used; a code that is not exactly six
    ASCII digits is refused as it stands (8006), never trimmed into shape.

    Failures commit the attempt counter before raising: the failing request's own rollback must not give a
    guesser the attempt back.
    """
    latest = session.scalars(
        select(OtpCode)
        .where(OtpCode.user_id == user.id, OtpCode.purpose == purpose)
        .order_by(OtpCode.id.desc())
        .limit(1)
    ).first()
    if latest is None or not isinstance(code, str) or not well_formed(code):
        raise ApiFailure(codes.OTP_INVALID, field="otp")
    candidate = code
    matches = hmac.compare_digest(latest.code_hash, _digest(latest.salt, candidate))
    stale = latest.used or latest.expires_at <= now()
    if stale:
        raise ApiFailure(codes.OTP_EXPIRED, field="otp")
    if not matches:
        latest.attempts += 1
        if latest.attempts >= MAX_ATTEMPTS:
            latest.used = True
        session.commit()
        raise ApiFailure(codes.OTP_INVALID, field="otp")
    latest.used = True
    return latest
