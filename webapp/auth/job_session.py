"""A background job calling the CMS as the operator who asked for it, with no token or session id in the job.

The operator's CMS tokens stay in their server-side session record (webapp/auth/token_holder.py); the job
record (its parameters are stored, listed and logged) never carries them. One way serves every such job (the
cardholder export, the bulk-upload follow, the permission audit and its parts):

* `leave`, in the request: the session id, and what the request must not leave in the job record (a search
  text may name a person), wait beside the session records (webapp/auth/backend.py: Redis or the cachelib
  store, never the database, so they are no more exposed than the session itself) until the job's deadline,
  under a *reference*: an HMAC, keyed by SECRET_KEY, of the job's kind, the request, the private part and the
  session id. The job's parameters carry only that reference. Why an HMAC rather than the job's id: it exists
  before the job does, so it is stored before the job's task is sent (no worker can find the job without
  it); it reveals nothing of the session id; and it is part of what makes two requests the same job — the
  same session asking the same thing twice (a double click) gets one job, while a new session (signed in
  again after a job failed for want of one) gets a new job instead of the failed one.
* `borrow`, in the worker: `JobTokens`, a token holder over the stored session record, thread-safe, so one
  job's many reading threads (the audit's parts) and single-threaded jobs alike use it. It reads the record
  (at most every RECORD_TTL_SECONDS outside the refresh lock), so a session signed out while the job runs ends
  it at the next call; it writes a rotated pair back under the session's refresh lock into the record as
  stored then, so the operator's pages and the job never spend one refresh token twice.
* `kept_until_the_end`, around the job's run: the reference is released when the job ends (done or failed);
  it is kept when the attempt lost the job to another attempt, which still needs it. A job that never ends
  on its own (its worker killed every time) loses it at its deadline, with the stored entry's lifetime.

A session signed out, expired or refused by the CMS raises `SessionEnded`, which every job turns into a
failure with a reason, never a retry.
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

from flask import Flask, current_app, session

from webapp.auth import backend
from webapp.auth.token_holder import (
    REVISION_SUFFIX,
    TOKENS_KEY,
    RefreshLock,
    tokens_from_dict,
    tokens_to_dict,
)
from webapp.cms import UserTokens, errors
from webapp.jobs.records import JobLost

KEY_PREFIX: Final = "job-session:"
# A record read is a file or Redis read; ten thousand reads of one audit re-read it at most this often (and a
# sign-out reaches a running job at most this late).
RECORD_TTL_SECONDS: Final = 1.0


def _key(reference: str) -> str:
    return KEY_PREFIX + reference


def leave(
    kind: str, request: Mapping[str, Any], *, ttl: float, private: Mapping[str, Any] | None = None
) -> str:
    """From a request: leave this session (and `private`) for the `kind` job asking `request`, for `ttl`
    seconds (its deadline); answers the reference to put in the job's parameters. The same session asking the
    same thing answers the same reference."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    sid = str(getattr(session, "sid", "") or "")
    if not sid:
        raise errors.SessionEnded("There is no session to run the job in.", status=401)
    kept = dict(private or {})
    material = json.dumps(
        [kind, sid, dict(request), kept], sort_keys=True, separators=(",", ":"), default=str
    )
    reference = hmac.new(str(app.secret_key).encode(), material.encode(), hashlib.sha256).hexdigest()[:40]
    backend.kv_set(app, _key(reference), {"sid": sid, "private": kept}, max(1, int(ttl)))
    return reference


def release(app: Flask, reference: str) -> None:
    backend.kv_delete(app, _key(reference))


@contextmanager
def kept_until_the_end(app: Flask, reference: str) -> Iterator[None]:
    """Around a job's run: release its reference however the job ends, unless another attempt took the job
    over (JobLost): that attempt still needs the session."""
    try:
        yield
    except JobLost:
        raise
    except BaseException:
        release(app, reference)
        raise
    release(app, reference)


class _Record(dict[str, Any]):
    """A session record with its id, as `backend.write_session_record` writes one."""

    def __init__(self, data: dict[str, Any], sid: str) -> None:
        super().__init__(data)
        self.sid = sid


class JobTokens:
    """TokenHolder over a stored session record, for a job; safe to share between threads."""

    def __init__(self, app: Flask, sid: str) -> None:
        self._app, self._sid = app, sid
        self._guard = threading.Lock()
        self._cached: tuple[float, UserTokens | None] | None = None
        self._refresh = RefreshLock(app, lambda: sid)

    def _read(self) -> dict[str, Any] | None:
        return backend.read_session_record(self._app, self._sid)

    def load(self) -> UserTokens | None:
        """The session's tokens as stored (None once it is signed out or expired: the CMS client then raises
        SessionEnded). Under the refresh lock always read afresh: another node may have just rotated them."""
        with self._guard:
            cached = self._cached
            fresh = cached is not None and time.monotonic() - cached[0] < RECORD_TTL_SECONDS
            if cached is not None and fresh and not self._refresh.holding:
                return cached[1]
        record = self._read()
        raw = record.get(TOKENS_KEY) if record is not None else None
        tokens = tokens_from_dict(raw) if isinstance(raw, dict) else None
        with self._guard:
            self._cached = (time.monotonic(), tokens)
        return tokens

    def save(self, tokens: UserTokens) -> None:
        """Write a rotated pair into the record as stored now (the CMS client calls it under `lock()`), so
        nothing the operator's browser wrote meanwhile is overwritten with the job's older copy."""
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
        return self._refresh.held()

    def ensure_signed_in(self) -> None:
        """Raise SessionEnded once the session is gone: for a job holding one long call (a progress stream),
        which no token read interrupts."""
        if self.load() is None:
            raise errors.SessionEnded("The operator's session ended during the job.", status=401)


@dataclass(frozen=True)
class Borrowed:
    tokens: JobTokens
    private: Mapping[str, Any]


def borrow(app: Flask, reference: str) -> Borrowed:
    """In a worker: the session `reference` was left for; SessionEnded when it, or the session, is gone."""
    entry = backend.kv_get(app, _key(reference)) if reference else None
    sid = str(entry.get("sid") or "") if entry else ""
    if not sid or backend.read_session_record(app, sid) is None:
        raise errors.SessionEnded("The operator's session ended before the job ran.", status=401)
    private = entry.get("private") if entry else None
    return Borrowed(JobTokens(app, sid), private if isinstance(private, dict) else {})
