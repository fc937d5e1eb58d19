"""Prometheus metrics of the CMS client: upstream calls, the circuit breaker, token renewals.

Flask-free like the rest of `webapp.cms`; `webapp.metrics` serves them. Label values are bounded and carry no
personal data: the operation is the method and route template (`GET /app/partners/{partnerId}/cardholders`,
never a filled-in path), the outcome `ok`, `stream` or the error's class name.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPSTREAM_SECONDS = Histogram(
    "console_upstream_request_duration_seconds",
    "Time of one attempt of a CMS call, by operation (method and route template) and outcome.",
    ["operation", "outcome"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0),
)
UPSTREAM_ERRORS = Counter(
    "console_upstream_errors_total",
    "CMS call attempts that failed, by operation and outcome (the error's class name).",
    ["operation", "outcome"],
)
BREAKER_STATE = Gauge(
    "console_upstream_breaker_state",
    "The CMS circuit breaker of each worker: 0 closed, 1 half-open, 2 open.",
    multiprocess_mode="livemax",
)
TOKEN_REFRESHES = Counter(
    "console_token_refreshes_total",
    "Upstream tokens renewed: the app token (refreshed or signed in again) and operators' user tokens.",
    ["token", "outcome"],
)

BREAKER_VALUES = {"closed": 0, "half-open": 1, "open": 2}
_SUCCESS = frozenset({"ok", "stream"})


def observe_call(method: str, route: str, outcome: str, elapsed: float) -> None:
    operation = f"{method.upper()} {route}"
    UPSTREAM_SECONDS.labels(operation, outcome).observe(elapsed)
    if outcome not in _SUCCESS:
        UPSTREAM_ERRORS.labels(operation, outcome).inc()


def observe_breaker(state: str) -> None:
    BREAKER_STATE.set(BREAKER_VALUES.get(state, 0))


def count_token_refresh(token: str, outcome: str) -> None:
    """`token` is "app" or "user"; `outcome` "ok" or "failed"."""
    TOKEN_REFRESHES.labels(token, outcome).inc()
