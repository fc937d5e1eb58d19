"""The live upstream connection, shown on the sign-in page: which environment, and whether the CMS answers.

The page is public: nothing about the console's own credentials (the app token's times) is shown there;
/readyz gives those to the monitoring.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from webapp.cms import errors
from webapp.upstream import UpstreamNotConfigured, cms


def upstream_status() -> dict[str, Any]:
    """Environment, and whether the console holds a valid app token (obtaining one if it has none yet)."""
    status: dict[str, Any] = {
        "environment": str(current_app.config.get("CONSOLE_ENV", "sandbox")),
        "connected": False,
    }
    try:
        cms().app_status()
    except (errors.CmsError, UpstreamNotConfigured):
        return status
    status["connected"] = True
    return status
