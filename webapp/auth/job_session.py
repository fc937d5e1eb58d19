"""A background job calling the CMS as the operator who asked for it, with no token or session id in the job.

The operator's CMS tokens stay in their server-side session record (webapp/auth/token_holder.py); the job
record (its parameters are stored, listed and logged) never carries them. The web process leaves what the
worker needs beside the session records (webapp/auth/backend.py: Redis or the cachelib store, never the
database, so it is no more exposed than the session itself) until the job's deadline, in one of two forms:

* `link` / `linked` (the cardholder export): under an HMAC of the session id and the request, keyed by
  SECRET_KEY, with what the request must not leave in the store (a search text may name a person). The job's
  parameters hold only that reference, and the worker gets a `SessionTokenHolder` over the record.
* `lend` / `borrowed` (the permission audit): under the job's id, shared by the job's parts, which many
  worker threads read at once: `LentSessionTokens` caches the record for a second and is thread-safe.

Either way a rotation is written back under the session's refresh lock, so the operator's pages and the job
never spend one refresh token twice, and a session signed out, expired or refused by the CMS ends the job
with a reason (`SessionEnded`), never a retry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Final

from flask import Flask

from webapp.auth import backend
from webapp.auth.token_holder import (
    REVISION_SUFFIX,
    TOKENS_KEY,
    SessionTokenHolder,
    tokens_from_dict,
    tokens_to_dict,
)
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


# -- lent to a job by its id (the permission audit) ----------------------------------------------------

# A record read is a file or Redis read; ten thousand reads of one audit re-read it at most this often.
RECORD_TTL_SECONDS = 1.0


def _key(job_id: int) -> str:
    return f"{KEY_PREFIX}job:{job_id}"


def lend(app: Flask, job_id: int, sid: str, ttl_seconds: float) -> None:
    """Let job `job_id` (and its parts) read as the session `sid` until `ttl_seconds` (its deadline)."""
    backend.kv_set(app, _key(job_id), {"sid": sid}, max(1, int(ttl_seconds)))


def end_loan(app: Flask, job_id: int) -> None:
    backend.kv_delete(app, _key(job_id))


class _Record(dict[str, Any]):
    """A session record with its id, as `backend.write_session_record` writes one."""

    def __init__(self, data: dict[str, Any], sid: str) -> None:
        super().__init__(data)
        self.sid = sid


class LentSessionTokens:
    """TokenHolder over the stored session record a job was lent; safe to share between threads."""

    def __init__(self, app: Flask, sid: str) -> None:
        self._app, self._sid = app, sid
        self._guard = threading.Lock()
        self._cached: tuple[float, UserTokens | None] | None = None
        self._holding = False

    def _read(self) -> dict[str, Any] | None:
        return backend.read_session_record(self._app, self._sid)

    def load(self) -> UserTokens | None:
        with self._guard:
            cached = self._cached
            if cached is not None and not self._holding and time.monotonic() - cached[0] < RECORD_TTL_SECONDS:
                return cached[1]
        record = self._read()
        raw = record.get(TOKENS_KEY) if record is not None else None
        tokens = tokens_from_dict(raw) if isinstance(raw, dict) else None
        with self._guard:
            self._cached = (time.monotonic(), tokens)
        return tokens

    def save(self, tokens: UserTokens) -> None:
        record = self._read()
        if record is None:
            raise errors.SessionEnded("The operator's session ended during the job.", status=401)
        revision = TOKENS_KEY + REVISION_SUFFIX
        record[TOKENS_KEY] = tokens_to_dict(tokens)
        record[revision] = int(record.get(revision, 0)) + 1
        backend.write_session_record(self._app, _Record(record, self._sid))
        with self._guard:
            self._cached = (time.monotonic(), tokens)

    def lock(self) -> AbstractContextManager[None]:
        return self._locked()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with backend.refresh_lock(self._app, self._sid):
            self._holding = True  # under the lock the record is always read: another node may have rotated
            try:
                yield
            finally:
                self._holding = False


def borrowed(app: Flask, job_id: int) -> LentSessionTokens:
    """The tokens job `job_id` was lent; `SessionEnded` when the loan or the session itself is gone."""
    loan = backend.kv_get(app, _key(job_id))
    sid = str(loan.get("sid") or "") if loan else ""
    if not sid or backend.read_session_record(app, sid) is None:
        raise errors.SessionEnded("The operator's session ended before the job ran.", status=401)
    return LentSessionTokens(app, sid)
