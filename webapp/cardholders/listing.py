"""The state of the cardholder list, and how it travels in the URL without any personal data.

Page, page size, sort, order and status filter are plain query arguments. The search text may be a document
number, an email or a phone, so it never goes in a URL: it is kept in the server-side session under a short
random id and the URL carries only `s=<id>`. A link opened in another session finds no such id and shows the
unfiltered list with a note, which is the safe failure.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, replace
from typing import Any, Final

from webapp.parsing import parse_int

SORT_FIELDS: Final = ("createdAt", "name", "lastName", "email", "status")
ORDERS: Final = ("asc", "desc")
STATUSES: Final = ("active", "inactive", "closed")
PAGE_SIZES: Final = (25, 50, 100)
DEFAULT_LIMIT: Final = 50
DEFAULT_SORT: Final = "createdAt"
DEFAULT_ORDER: Final = "desc"
SEARCH_MAX: Final = 100
# Searches remembered per session: enough for back/forward through a morning's work, bounded in size.
SEARCHES_KEPT: Final = 20
SESSION_KEY: Final = "cardholder_searches"
MAX_PAGE: Final = 100_000


def _int_in(raw: str | None, default: int, low: int, high: int) -> int:
    value = parse_int(raw, minimum=low, maximum=high)
    return default if value is None else value


def _choice(raw: str | None, allowed: tuple[str, ...], default: str) -> str:
    text = (raw or "").strip()
    return text if text in allowed else default


@dataclass(frozen=True)
class ListState:
    """What the list shows. Unknown or malformed values fall back to the defaults instead of failing."""

    page: int = 1
    limit: int = DEFAULT_LIMIT
    sort: str = DEFAULT_SORT
    order: str = DEFAULT_ORDER
    status: str = ""
    search_id: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ListState:
        limit = _int_in(args.get("limit"), DEFAULT_LIMIT, 1, max(PAGE_SIZES))
        return cls(
            page=_int_in(args.get("page"), 1, 1, MAX_PAGE),
            limit=limit if limit in PAGE_SIZES else DEFAULT_LIMIT,
            sort=_choice(args.get("sort"), SORT_FIELDS, DEFAULT_SORT),
            order=_choice(args.get("order"), ORDERS, DEFAULT_ORDER),
            status=_choice(args.get("status"), ("", *STATUSES), ""),
            search_id=_valid_search_id(args.get("s")),
        )

    def query(self, **changes: Any) -> dict[str, str | int]:
        """URL arguments for this state with `changes` applied; defaults are left out to keep links short."""
        state = replace(self, **changes) if changes else self
        out: dict[str, str | int] = {}
        if state.search_id:
            out["s"] = state.search_id
        if state.status:
            out["status"] = state.status
        if state.sort != DEFAULT_SORT:
            out["sort"] = state.sort
        if state.order != DEFAULT_ORDER:
            out["order"] = state.order
        if state.limit != DEFAULT_LIMIT:
            out["limit"] = state.limit
        if state.page != 1:
            out["page"] = state.page
        return out

    def sorted_by(self, field: str) -> dict[str, str | int]:
        """The query for a click on a column header: that column, flipping the order if it is already it."""
        if field == self.sort:
            order = "asc" if self.order == "desc" else "desc"
        else:
            order = "asc" if field != "createdAt" else "desc"
        return self.query(sort=field, order=order, page=1)


def _valid_search_id(raw: str | None) -> str:
    text = (raw or "").strip()
    return text if 6 <= len(text) <= 24 and text.replace("-", "").replace("_", "").isalnum() else ""


def clean_search(raw: str | None) -> str:
    """The search text as sent upstream: trimmed, inner whitespace collapsed, bounded."""
    return " ".join((raw or "").split())[:SEARCH_MAX]


def remember_search(store: MutableMapping[str, Any], text: str) -> str:
    """Keep `text` in the session under a new id (oldest dropped beyond `SEARCHES_KEPT`); '' for no text."""
    if not text:
        return ""
    kept = store.get(SESSION_KEY)
    searches: dict[str, str] = dict(kept) if isinstance(kept, Mapping) else {}
    for existing_id, existing in searches.items():
        if existing == text:  # the same search again keeps its id, so its URL stays the same
            return existing_id
    search_id = secrets.token_urlsafe(8)
    searches[search_id] = text
    while len(searches) > SEARCHES_KEPT:
        searches.pop(next(iter(searches)))
    store[SESSION_KEY] = searches
    return search_id


def recall_search(store: Mapping[str, Any], search_id: str) -> str | None:
    """The text behind `search_id` in this session, or None when this session never made that search."""
    if not search_id:
        return None
    kept = store.get(SESSION_KEY)
    if not isinstance(kept, Mapping):
        return None
    text = kept.get(search_id)
    return text if isinstance(text, str) else None
