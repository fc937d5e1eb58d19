"""The sidebar's saved views, kept in the process for a while instead of read from the store on every page.

The sidebar is on every page an operator opens, and reading it was a store query per page (about a sixth
of the cardholder list's console time, bench/bench_cardholders.py). What it may show late, and for how long:

* The operator's own save or delete is seen on their next page, on any node: it changes a revision kept in
  their server-side session (shared by the nodes), and an entry read under another revision is not used.
* Any save or delete on this node clears the partner's entries here, so colleagues on this node see it on
  their next page too.
* A colleague's view shared or deleted on another node reaches this node's sidebars within
  `SAVED_VIEWS_MENU_SECONDS` (a link in the sidebar is only a list URL with filters: a late one opens the
  list, never anything the operator may not see, since the list checks access itself).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import current_app, session
from flask.sansio.app import App

from webapp.store.saved_views import SavedView

_REVISION: str = "saved_views_revision"
# Enough for the operators of a busy node; the oldest entry goes first when it is full.
MAX_ENTRIES = 2048


@dataclass(frozen=True)
class _Entry:
    read_at: float
    revision: str
    views: tuple[SavedView, ...]


class MenuCache:
    """Saved views per (partner, operator), each entry valid for `seconds` and for one session revision."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, int], _Entry] = {}

    def views(
        self, partner_id: int, operator_id: int, revision: str, read: Callable[[], Sequence[SavedView]]
    ) -> tuple[SavedView, ...]:
        key = (partner_id, operator_id)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry.revision == revision and now - entry.read_at < self._seconds:
            return entry.views
        views = tuple(read())  # outside the lock: a slow store must not hold up other operators' pages
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = _Entry(now, revision, views)
        return views

    def forget_partner(self, partner_id: int) -> None:
        with self._lock:
            for key in [key for key in self._entries if key[0] == partner_id]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def install(app: App) -> None:
    app.extensions["saved_views_menu"] = MenuCache(float(app.config["SAVED_VIEWS_MENU_SECONDS"]))


def menu_cache() -> MenuCache:
    cache: MenuCache = current_app.extensions["saved_views_menu"]
    return cache


def session_revision() -> str:
    return str(session.get(_REVISION, ""))


def changed(partner_id: int) -> None:
    """After a save or delete on `partner_id`: the operator's next page, on any node, reads the store."""
    session[_REVISION] = secrets.token_hex(4)
    menu_cache().forget_partner(partner_id)
