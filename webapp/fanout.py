"""One bounded thread pool per console process for the pages that ask the CMS many things at once.

Sign-in (permissions per partner), the partner list (balances), the user page (permissions per partner), the
dashboard panels and the permission audit each used to start a pool of their own per request: ten operators
signing in together meant ten pools hitting the CMS. Now they share `FANOUT_WORKERS` threads, and one call
never holds more than `per_call` of them, so a 1,000-read audit cannot take every thread from page views.

Jobs get plain values only: Flask's context-bound proxies (`current_user`, `request`) do not cross threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import Flask

DEFAULT_WORKERS = 16
DEFAULT_PER_CALL = 8

K = TypeVar("K")
V = TypeVar("V")

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_workers = DEFAULT_WORKERS


@dataclass(frozen=True)
class Settled(Generic[V]):
    """One job's value, or the exception it raised."""

    value: V | None = None
    error: BaseException | None = None


def init_app(app: Flask) -> None:
    global _workers
    _workers = max(1, int(app.config.get("FANOUT_WORKERS") or DEFAULT_WORKERS))


def _shared_pool() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_workers, thread_name_prefix="fanout")
        return _pool


def _submit_all(jobs: Mapping[K, Callable[[], V]], per_call: int) -> dict[K, Future[V]]:
    """Every job submitted, at most `per_call` of them queued or running at a time."""
    window = threading.BoundedSemaphore(max(1, per_call))
    pool = _shared_pool()
    futures: dict[K, Future[V]] = {}
    for key, job in jobs.items():
        window.acquire()
        future = pool.submit(job)
        future.add_done_callback(lambda _f: window.release())
        futures[key] = future
    return futures


def gather(jobs: Mapping[K, Callable[[], V]], *, per_call: int = DEFAULT_PER_CALL) -> dict[K, V]:
    """Every job's value; the first failure cancels what has not started and is raised."""
    futures = _submit_all(jobs, per_call)
    try:
        return {key: future.result() for key, future in futures.items()}
    except BaseException:
        for future in futures.values():
            future.cancel()
        raise


def settle(jobs: Mapping[K, Callable[[], V]], *, per_call: int = DEFAULT_PER_CALL) -> dict[K, Settled[V]]:
    """Every job's value or exception: a page that shows each answer on its own (a panel, a balance)."""
    futures = _submit_all(jobs, per_call)
    out: dict[K, Settled[V]] = {}
    for key, future in futures.items():
        try:
            out[key] = Settled(value=future.result())
        except Exception as exc:
            out[key] = Settled(error=exc)
    return out
