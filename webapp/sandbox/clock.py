"""The sandbox's clock: real time plus a test-settable offset, so expiry can be tested without sleeping.

`SANDBOX_CLOCK_OFFSET` (seconds, changed through `POST /_sandbox/config`) moves every expiry decision of the
sandbox (tokens, OTP codes, lockouts, merchant timestamps) forward or back at once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, has_app_context


def now() -> float:
    """Unix seconds as the sandbox sees them."""
    offset = 0
    if has_app_context():
        offset = int(current_app.config.get("SANDBOX_CLOCK_OFFSET", 0) or 0)
    return datetime.now(UTC).timestamp() + offset


def utcnow() -> datetime:
    """Naive UTC datetime of `now()` (SQLite keeps no time zone; every stored datetime is UTC)."""
    return datetime.fromtimestamp(now(), UTC).replace(tzinfo=None)


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 with a `Z`, seconds precision, as the API answers timestamps."""
    if moment is None:
        return None
    return moment.replace(microsecond=0).isoformat() + "Z"
