"""Sandbox settings: defaults, and which of them `POST /_sandbox/config` may change while it runs."""

from __future__ import annotations

import os
from typing import Any

PROFILES: tuple[str, ...] = ("full", "documented")
"""`full`: every operation of the contract, documented and assumed. `documented`: only the documented ones,
with only their documented answer shapes (webapp/sandbox/profile.py)."""

DEFAULTS: dict[str, Any] = {
    "SANDBOX_PROFILE": "full",
    "SANDBOX_DATABASE_URL": None,  # None → sqlite file under the app's instance folder
    "SANDBOX_SIGNING_KEY_PEM": None,  # None → an ephemeral key for this process (tokens die with it)
    "SANDBOX_MERCHANTS": {},
    "SANDBOX_APP_LOGIN": "plain",  # plain: `{merchant}` suffices; signed: timestamp + signature required
    "SANDBOX_APP_TOKEN_TTL": 1800,
    "SANDBOX_APP_REFRESH_TTL": 604800,
    "SANDBOX_USER_TOKEN_TTL": 900,
    "SANDBOX_USER_REFRESH_TTL": 28800,
    "SANDBOX_OTP_TTL": 300,
    "SANDBOX_ELEVATION_TTL": 300,
    "SANDBOX_LOCKOUT_THRESHOLD": 5,
    "SANDBOX_LOCKOUT_SECONDS": 1800,
    "SANDBOX_BATCH_ROWS_PER_SECOND": 200,
    "SANDBOX_LATENCY_MS": 0,
    "SANDBOX_CLOCK_OFFSET": 0,
    "SANDBOX_MERCHANT_CLOCK_SKEW": 300,
    "SANDBOX_SEED": "demo",
    "SANDBOX_SEED_CARDHOLDERS": 2400,
    "SANDBOX_CALL_LOG_SIZE": 5000,
}

APP_LOGIN_MODES = ("plain", "signed")
"""`SANDBOX_APP_LOGIN`: what `POST /app/auth/login` requires (a sent signature is checked in both)."""

RUNTIME_KNOBS: frozenset[str] = frozenset(
    {
        "SANDBOX_APP_TOKEN_TTL",
        "SANDBOX_APP_REFRESH_TTL",
        "SANDBOX_USER_TOKEN_TTL",
        "SANDBOX_USER_REFRESH_TTL",
        "SANDBOX_OTP_TTL",
        "SANDBOX_ELEVATION_TTL",
        "SANDBOX_LOCKOUT_THRESHOLD",
        "SANDBOX_LOCKOUT_SECONDS",
        "SANDBOX_BATCH_ROWS_PER_SECOND",
        "SANDBOX_LATENCY_MS",
        "SANDBOX_CLOCK_OFFSET",
        "SANDBOX_MERCHANT_CLOCK_SKEW",
    }
)
"""Integer knobs read at request time, so changing them takes effect on the next call."""


def knob_name(raw: str) -> str:
    """`latency_ms`, `LATENCY_MS` and `SANDBOX_LATENCY_MS` all name the same knob."""
    name = raw.strip().upper()
    return name if name.startswith("SANDBOX_") else f"SANDBOX_{name}"


def default_database_url(instance_path: str) -> str:
    return f"sqlite:///{os.path.join(instance_path, 'sandbox.sqlite3')}"
