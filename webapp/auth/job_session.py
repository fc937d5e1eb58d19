"""A background job reading the CMS as the operator who asked for it, without a token leaving the session.

The operator's CMS tokens stay in their server-side session record (webapp/auth/token_holder.py). When a job
that reads as them is created, the web process *lends* the job their session: it stores the session id
under the job's id beside the session records (webapp/auth/backend.py: the same Redis or file cache, so it
is no more exposed than the session itself), never in the job's parameters or its log. A worker then reads
the tokens from that record on each call and writes a rotation back to it under the same cross-node refresh
lock the operator's own requests take, so the operator's pages and the job never spend one refresh token
twice. Signing out deletes the record: the job's next call finds no tokens and the CMS client raises
`SessionEnded`, which the job reports as "your CMS session ended".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from flask import Flask

from webapp.auth import backend
from webapp.auth.token_holder import REVISION_SUFFIX, TOKENS_KEY, tokens_from_dict, tokens_to_dict
from webapp.cms import UserTokens, errors

# A record read is a file or Redis read; ten thousand reads of one audit re-read it at most this often.
RECORD_TTL_SECONDS = 1.0


def _key(job_id: int) -> str:
    return f"job-session:{job_id}"


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
