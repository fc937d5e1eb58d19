"""A background job's way to its operator's CMS session, with neither the token nor the session id in the job.

A job that calls the CMS as the operator (the cardholder export) must use the operator's own upstream
session: the CMS decides what they may read. The job record (its parameters are stored, listed and logged)
carries only a *link*: an HMAC of the session id and the request, keyed by SECRET_KEY, which names nothing
outside the console. The session id itself, and whatever the request must not leave in the store (a search
text may name a person), waits beside the session records (webapp/auth/backend.py: Redis or the cachelib
store, never the database) under that link until the job's deadline.

The worker reads the session record by its id and calls the CMS through a `SessionTokenHolder` over it, so
the job and the operator's browser follow the same one-refresh-at-a-time protocol
(webapp/auth/token_holder.py): a pair the browser rotated meanwhile is adopted under the refresh lock, and one
the job rotates is written through for the browser. A session signed out, expired or refused by the CMS ends
the job with a reason, never a retry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from flask import Flask

from webapp.auth import backend
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cms import UserTokens, errors

KEY_PREFIX: Final = "job-session:"


def link(
    app: Flask, session_obj: Any, request: Mapping[str, Any], private: Mapping[str, Any], ttl: int
) -> str:
    """Link a job's request to this session: answers the reference to put in the job's parameters.

    The same session asking the same thing answers the same reference (so a double click is one job); the
    session id and `private` wait under it for `ttl` seconds."""
    sid = str(getattr(session_obj, "sid", "") or "")
    if not sid:
        raise errors.SessionEnded("There is no session to run the job in.", status=401)
    material = json.dumps(
        [sid, dict(request), dict(private)], sort_keys=True, separators=(",", ":"), default=str
    )
    reference = hmac.new(str(app.secret_key).encode(), material.encode(), hashlib.sha256).hexdigest()[:40]
    backend.kv_set(app, KEY_PREFIX + reference, {"sid": sid, "private": dict(private)}, ttl)
    return reference


class JobTokenHolder(SessionTokenHolder):
    """The session's tokens for a job: before writing a rotated pair back, it takes the record as stored now,
    so the job never writes back what the operator's browser changed in the session meanwhile."""

    def save(self, tokens: UserTokens) -> None:
        record = backend.read_session_record(self._app, self._sid)
        if record is None:
            raise errors.SessionEnded("The operator's session has ended.", status=401)
        self._session.clear()
        self._session.update(record)
        super().save(tokens)


@dataclass(frozen=True)
class Linked:
    holder: JobTokenHolder
    private: Mapping[str, Any]


def linked(app: Flask, reference: str) -> Linked | None:
    """The session a job was linked to, or None when the link or the session is gone (signed out, expired)."""
    entry = backend.kv_get(app, KEY_PREFIX + reference)
    if entry is None or not entry.get("sid"):
        return None
    sid = str(entry["sid"])
    record = backend.read_session_record(app, sid)
    if record is None:
        return None
    session_class = getattr(app.session_interface, "session_class", None)
    if session_class is None:
        return None
    session_obj = session_class(record, sid=sid)
    private = entry.get("private")
    return Linked(
        JobTokenHolder(app=app, session_obj=session_obj), private if isinstance(private, dict) else {}
    )
