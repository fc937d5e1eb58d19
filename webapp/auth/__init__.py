"""Operator sign-in (password + emailed code), sessions and their timeouts, sign-out, partner switching.

`init_app` must run before the shell's access gate: expired sessions are closed before access is decided.
"""

from __future__ import annotations

from flask import Flask

from webapp.auth import (
    rate_limits,
    session_lifecycle,
    session_views,  # noqa: F401  (its routes register on bp)
)
from webapp.auth.views import bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """Limiters, the session-lifecycle hooks, the upstream-session-ended handler, and the blueprint."""
    rate_limits.init_app(app)
    session_lifecycle.init_app(app)
    app.register_blueprint(bp)
