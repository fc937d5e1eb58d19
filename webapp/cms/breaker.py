"""The circuit breaker in front of the upstream."""

from __future__ import annotations

import threading
import time

from webapp.cms import errors
from webapp.cms.timing import Clock


class CircuitBreaker:
    """Consecutive-failure breaker: open after N failures, one half-open probe after `reset_seconds`.

    Small and local on purpose: each console node judges the upstream from its own calls.
    """

    def __init__(self, failures: int, reset_seconds: float, clock: Clock = time.monotonic) -> None:
        self._threshold = max(1, failures)
        self._reset = reset_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._probing or self._clock() - self._opened_at >= self._reset:
                return "half-open"
            return "open"

    def before_call(self) -> None:
        """Raise CircuitOpen unless a call may go out now (closed, or the single half-open probe)."""
        with self._lock:
            if self._opened_at is None:
                return
            waited = self._clock() - self._opened_at
            if waited >= self._reset and not self._probing:
                self._probing = True
                return
            remaining = max(0.0, self._reset - waited)
            raise errors.CircuitOpen(
                "The CMS is unavailable (circuit open); try again shortly.",
                status=503,
                retry_after=remaining if remaining > 0 else None,
            )

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self._threshold:
                self._opened_at = self._clock()
            self._probing = False

    def release(self) -> None:
        """A call ended without telling anything about the upstream: let another probe through."""
        with self._lock:
            self._probing = False
