"""The live upstream connection, shown on the sign-in page: which environment, and the app token's age."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app

from webapp.cms import errors
from webapp.upstream import UpstreamNotConfigured, cms


def _moment(value: Any) -> dict[str, str] | None:
    """Machine (ISO, for `<time datetime>`) and human (minute precision, UTC) forms of a Unix time."""
    if not isinstance(value, int | float):
        return None
    when = datetime.fromtimestamp(value, tz=UTC)
    return {"iso": when.isoformat(timespec="seconds"), "text": when.strftime("%Y-%m-%d %H:%M UTC")}


def upstream_status() -> dict[str, Any]:
    """Environment, and whether the console holds a valid app token (obtaining one if it has none yet)."""
    status: dict[str, Any] = {
        "environment": str(current_app.config.get("CONSOLE_ENV", "sandbox")),
        "connected": False,
        "obtained_at": None,
        "expires_at": None,
    }
    try:
        app_token = cms().app_status()
    except (errors.CmsError, UpstreamNotConfigured):
        return status
    status.update(
        connected=True,
        obtained_at=_moment(app_token.obtained_at),
        expires_at=_moment(app_token.expires_at),
    )
    return status
