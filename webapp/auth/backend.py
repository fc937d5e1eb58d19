"""Shared state beside the session records: the same Redis or cachelib store Flask-Session uses.

Drafts, cross-node refresh locks and re-reads of a session record must be visible to every console node, so
they live wherever the sessions live (Redis when scaled out, the filesystem cache on one machine), never in
process memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import Flask


class LockTimeout(RuntimeError):
    """Another request held the lock for longer than we are willing to wait."""


def _interface(app: Flask) -> Any:
    return app.session_interface


def _redis_client(app: Flask) -> Any | None:
    """The session interface's Redis client when sessions live in Redis."""
    return getattr(_interface(app), "client", None) if _is_redis(app) else None


def _is_redis(app: Flask) -> bool:
    return type(_interface(app)).__name__.startswith("Redis")


def _cache(app: Flask) -> Any | None:
    """The cachelib cache (filesystem by default) when sessions live there."""
    return getattr(_interface(app), "cache", None)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- key/value ---------------------------------------------------------------------------------------------


def kv_set(app: Flask, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
    """Store a JSON-able dict under `key` for `ttl_seconds`."""
    full = f"console:{key}"
    client = _redis_client(app)
    if client is not None:
        client.set(full, json.dumps(value), ex=ttl_seconds)
        return
    cache = _cache(app)
    if cache is not None:
        cache.set(full, json.dumps(value), timeout=ttl_seconds)


def kv_get(app: Flask, key: str) -> dict[str, Any] | None:
    """Read `key` and leave it: a job reads its session reference on every attempt and from each part."""
    full = f"console:{key}"
    client = _redis_client(app)
    if client is not None:
        raw: Any = client.get(full)
    else:
        cache = _cache(app)
        raw = cache.get(full) if cache is not None else None
    if raw is None:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None


def kv_pop(app: Flask, key: str) -> dict[str, Any] | None:
    """Read and delete `key` (drafts are restored exactly once)."""
    full = f"console:{key}"
    raw: Any = None
    client = _redis_client(app)
    if client is not None:
        raw = client.getdel(full)
    else:
        cache = _cache(app)
        if cache is not None:
            raw = cache.get(full)
            cache.delete(full)
    if raw is None:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None


def kv_delete(app: Flask, key: str) -> None:
    full = f"console:{key}"
    client = _redis_client(app)
    if client is not None:
        client.delete(full)
        return
    cache = _cache(app)
    if cache is not None:
        cache.delete(full)


# -- session records ---------------------------------------------------------------------------------------


def read_session_record(app: Flask, sid: str) -> dict[str, Any] | None:
    """The stored record of session `sid` as another node last wrote it (None when it is gone)."""
    iface = _interface(app)
    if not hasattr(iface, "_retrieve_session_data"):
        return None
    record = iface._retrieve_session_data(iface._get_store_id(sid))
    return dict(record) if record is not None else None


def write_session_record(app: Flask, session_obj: Any) -> None:
    """Write the session through to the store now, so other nodes see a token rotation immediately."""
    iface = _interface(app)
    if not hasattr(iface, "_upsert_session") or not getattr(session_obj, "sid", None):
        return
    lifetime: timedelta = app.permanent_session_lifetime
    iface._upsert_session(lifetime, session_obj, iface._get_store_id(session_obj.sid))


# -- locks -------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def cross_node_lock(app: Flask, name: str, *, wait_seconds: float = 20.0) -> Iterator[None]:
    """A lock every console node honours: a Redis lock when scaled out, else an flock file under instance/.

    flock locks belong to the open file description, so two threads of one process exclude each other too.
    """
    client = _redis_client(app)
    if client is not None:
        lock = client.lock(f"console:lock:{_digest(name)}", timeout=60, blocking_timeout=wait_seconds)
        if not lock.acquire():
            raise LockTimeout(name)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                lock.release()
        return
    lock_dir = str(app.config.get("CONSOLE_LOCK_DIR") or os.path.join(app.instance_path, "locks"))
    os.makedirs(lock_dir, exist_ok=True)
    path = os.path.join(lock_dir, f"{_digest(name)}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _flock_within(fd, wait_seconds, name)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


_FLOCK_POLL_SECONDS = 0.02


def _flock_within(fd: int, wait_seconds: float, name: str) -> None:
    """Take the flock, giving up after `wait_seconds` (flock itself has no timeout: try without blocking,
    pause briefly, try again)."""
    deadline = time.monotonic() + max(0.0, wait_seconds)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockTimeout(name) from None
            time.sleep(min(_FLOCK_POLL_SECONDS, left))


@contextlib.contextmanager
def refresh_lock(app: Flask, sid: str) -> Iterator[None]:
    """The one-refresh-at-a-time lock of a session's token pair. Waiting too long for it is answered like an
    upstream that could not be reached (nothing was sent: the operator may try again), not as a crash."""
    from webapp.cms import errors as cms_errors

    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(cross_node_lock(app, f"refresh:{sid}"))
        except LockTimeout as exc:
            raise cms_errors.UpstreamUnavailable("Another request is still renewing this session.") from exc
        yield
