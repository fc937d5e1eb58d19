"""The list's filters, read from the query string: all list state lives in the URL (deep links, back
button)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from webapp.parsing import parse_page
from webapp.textmarks import N_

STATUSES = ("pending", "approved", "rejected", "cancelled")
STATUS_LABELS = {
    "pending": N_("Pending"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
}
PAGE_SIZE = 20


@dataclass(frozen=True)
class ListFilters:
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)  # field → English message key
    awaiting_me: bool = False  # `awaiting=me`: only the requests this operator may decide (queue.py)

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as query arguments (for the pager and links), empty ones left out."""
        values: dict[str, Any] = {
            "status": self.status,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "awaiting": "me" if self.awaiting_me else None,
        }
        values.update(changes)
        return {key: str(value) for key, value in values.items() if value}

    @property
    def active(self) -> bool:
        return bool(self.status or self.date_from or self.date_to or self.awaiting_me)


def _day(raw: str | None) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    return date.fromisoformat(text) if len(text) == 10 else date.fromisoformat("invalid")


def parse_filters(args: Mapping[str, str]) -> ListFilters:
    """Known values only: an unknown status or a malformed date is reported and not sent upstream."""
    errors: dict[str, str] = {}
    status = (args.get("status") or "").strip() or None
    if status is not None and status not in STATUSES:
        errors["status"] = N_("Unknown status.")
        status = None
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        try:
            days[name] = _day(args.get(name))
        except ValueError:
            errors[name] = N_("Use a date like 2026-01-31.")
            days[name] = None
    if days["from"] and days["to"] and days["from"] > days["to"]:
        errors["to"] = N_("The end date is before the start date.")
        days["to"] = None
    # Waiting for a decision means pending: the queue is never combined with another status.
    awaiting_me = args.get("awaiting") == "me" and status in (None, "pending")
    if awaiting_me:
        status = "pending"
    return ListFilters(status, days["from"], days["to"], parse_page(args.get("page")), errors, awaiting_me)
