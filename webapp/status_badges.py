"""Which colour a status badge takes, for every status the console shows: one table, one filter.

Templates write `badge(label, item.status|badge_kind("top-up"))`; views that build rows call `badge_kind`.
A status the table does not know is neutral: a new CMS status shows plainly instead of failing.
"""

from __future__ import annotations

from typing import Final

from flask import Flask

KINDS: Final[dict[str, dict[str, str]]] = {
    "cardholder": {"active": "ok", "inactive": "warning", "closed": "neutral"},
    "card": {"active": "ok", "inactive": "warning", "blocked": "danger", "cancelled": "neutral"},
    "top-up": {"pending": "warning", "approved": "ok", "rejected": "danger", "cancelled": "neutral"},
    "upload": {
        "checked": "neutral",
        "sending": "info",
        "unknown": "warning",
        "queued": "info",
        "processing": "info",
        "completed": "ok",
        "failed": "danger",
    },
    # Outcomes of audit-trail events (webapp/activity/trail.py OUTCOMES).
    "outcome": {
        "success": "ok",
        "failure": "danger",
        "denied": "danger",
        "refused": "warning",
        "locked": "danger",
        "rate_limited": "warning",
        "unknown": "warning",
    },
}


def badge_kind(status: str | None, domain: str) -> str:
    return KINDS[domain].get(status or "", "neutral")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["badge_kind"] = badge_kind
