"""The operator's upstream tokens, held in the server-side session and shared safely between nodes.

Refresh tokens are single-use, so two requests of one session (on one node or two) must never refresh at the
same time: `lock()` is a cross-node lock keyed by the session id, and `load()` re-reads the stored session
record so a rotation done by another request is seen before deciding to refresh again. `save()` writes the
record through at once for the same reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from flask import Flask, current_app, session

from webapp.auth import backend
from webapp.cms import UserTokens

TOKENS_KEY = "tokens"
PENDING_TOKENS_KEY = "pending_tokens"
REVISION_SUFFIX = "_rev"


def tokens_to_dict(tokens: UserTokens) -> dict[str, Any]:
    to_dict = getattr(tokens, "to_dict", None)
    if callable(to_dict):
        result: dict[str, Any] = to_dict()
        return result
    return dataclasses.asdict(tokens)


def tokens_from_dict(raw: dict[str, Any]) -> UserTokens:
    from_dict = getattr(UserTokens, "from_dict", None)
    if callable(from_dict):
        loaded: UserTokens = from_dict(raw)
        return loaded
    return UserTokens(**raw)


class RefreshLock:
    """The session's cross-node refresh lock, as both token holders (this one and the jobs' one,
    webapp/auth/job_session.py) take it around a refresh, and whether it is held now: under it a holder
    reads the stored record afresh, since another node may have just rotated the tokens."""

    def __init__(self, app: Flask, session_id: Callable[[], str]) -> None:
        self._app, self._session_id = app, session_id
        self.holding = False

    @contextmanager
    def held(self) -> Iterator[None]:
        with backend.refresh_lock(self._app, self._session_id()):
            self.holding = True
            try:
                yield
            finally:
                self.holding = False


class SessionTokenHolder:
    """TokenHolder over `session[key]`; safe to pass to worker threads (it holds no Flask proxies)."""

    def __init__(self, key: str = TOKENS_KEY, *, app: Flask | None = None, session_obj: Any = None) -> None:
        self._key = key
        self._app: Flask = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
        self._session: Any = session_obj if session_obj is not None else session._get_current_object()  # type: ignore[attr-defined]
        self._refresh = RefreshLock(self._app, lambda: self._sid)

    @property
    def _sid(self) -> str:
        return str(getattr(self._session, "sid", "") or "")

    def _revision_key(self) -> str:
        return self._key + REVISION_SUFFIX

    def load(self) -> UserTokens | None:
        # Only a caller about to refresh (holding the lock) must see another node's rotation; outside the
        # lock this request's copy is good enough, and reading the stored record on every call is not free.
        record = (
            backend.read_session_record(self._app, self._sid) if self._sid and self._refresh.holding else None
        )
        if record is not None:
            stored_rev = int(record.get(self._revision_key(), 0))
            if stored_rev > int(self._session.get(self._revision_key(), 0)):
                # Another request (maybe on another node) rotated the tokens: adopt its pair.
                self._session[self._key] = record.get(self._key)
                self._session[self._revision_key()] = stored_rev
        raw = self._session.get(self._key)
        return tokens_from_dict(raw) if isinstance(raw, dict) else None

    def save(self, tokens: UserTokens) -> None:
        record = backend.read_session_record(self._app, self._sid) if self._sid else None
        stored_rev = int(record.get(self._revision_key(), 0)) if record else 0
        self._session[self._key] = tokens_to_dict(tokens)
        self._session[self._revision_key()] = (
            max(stored_rev, int(self._session.get(self._revision_key(), 0))) + 1
        )
        backend.write_session_record(self._app, self._session)

    def lock(self) -> AbstractContextManager[None]:
        return self._refresh.held()


def adopt_newer_tokens(session_obj: Any, app: Flask) -> None:
    """Before a session is saved, take tokens another request rotated meanwhile, so we never write back a
    refresh token that has already been spent."""
    sid = str(getattr(session_obj, "sid", "") or "")
    if not sid or TOKENS_KEY not in session_obj:
        return
    record = backend.read_session_record(app, sid)
    if record is None:
        return
    rev_key = TOKENS_KEY + REVISION_SUFFIX
    stored_rev = int(record.get(rev_key, 0))
    if stored_rev > int(session_obj.get(rev_key, 0)):
        session_obj[TOKENS_KEY] = record.get(TOKENS_KEY)
        session_obj[rev_key] = stored_rev
