"""Brute-force limits on the password and OTP steps, per lower-cased email and per client IP.

Counters live in Redis when REDIS_URL is set (so every console node counts the same attempts) and in this
process's memory otherwise (one machine, one process). The `limits` library is the engine Flask-Limiter uses;
we call it directly because the key is the email typed into the form, which a route decorator cannot see.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

DEFAULT_LOGIN_LIMIT = "5 per minute;20 per hour"
DEFAULT_OTP_LIMIT = "5 per minute;20 per hour"
_EXTENSION_KEY = "console_auth_limits"


@dataclass(frozen=True)
class Refusal:
    """A step was refused: try again after `retry_after` seconds."""

    retry_after: int


class StepLimiter:
    """Counts attempts of one sign-in step (`login` or `otp`) against its configured limits."""

    def __init__(self, storage: Storage, step: str, spec: str) -> None:
        self._limiter = FixedWindowRateLimiter(storage)
        self._step = step
        self._items: list[RateLimitItem] = list(parse_many(spec))

    def hit(self, *, email: str, ip: str, device: str | None = None) -> Refusal | None:
        """Count one attempt for this email and this IP; a Refusal when either is over its limit.

        `device` is a valid known-device mark for this email (webapp/auth/known_device.py): its attempts are
        counted for the email on that device alone, so failures typed elsewhere cannot lock it out here."""
        account = email.strip().lower() + (f"#device:{device}" if device else "")
        keys = (("email", account), ("ip", ip))
        worst = 0
        for kind, value in keys:
            for item in self._items:
                if not self._limiter.hit(item, "console-auth", self._step, kind, value):
                    stats = self._limiter.get_window_stats(item, "console-auth", self._step, kind, value)
                    worst = max(worst, math.ceil(stats.reset_time - time.time()))
        return Refusal(retry_after=max(worst, 1)) if worst else None


@dataclass(frozen=True)
class AuthLimits:
    login: StepLimiter
    otp: StepLimiter


def init_app(app: Flask) -> None:
    """Build the limiters once per app from LOGIN_RATE_LIMIT / OTP_RATE_LIMIT and REDIS_URL."""
    redis_url = app.config.get("REDIS_URL")
    storage = storage_from_string(str(redis_url) if redis_url else "memory://")
    assert isinstance(storage, Storage)  # a synchronous storage: these URLs never name an async one
    app.extensions[_EXTENSION_KEY] = AuthLimits(
        login=StepLimiter(storage, "login", str(app.config.get("LOGIN_RATE_LIMIT") or DEFAULT_LOGIN_LIMIT)),
        otp=StepLimiter(storage, "otp", str(app.config.get("OTP_RATE_LIMIT") or DEFAULT_OTP_LIMIT)),
    )


def limits() -> AuthLimits:
    found: AuthLimits = current_app.extensions[_EXTENSION_KEY]
    return found


# -- step-up codes (webapp.step_up) -------------------------------------------------------------------------

DEFAULT_STEP_UP_SEND_LIMIT = "5 per minute;60 per hour"
DEFAULT_STEP_UP_LIMIT = "5 per minute;20 per hour"
_STEP_UP_EXTENSION_KEY = "console_step_up_limits"


class FailureLimiter:
    """Counts refused codes per operator and per IP, whichever code was tried: a new code does not reset
    the count. `check` before trying a code, `fail` after the CMS refused it."""

    def __init__(self, storage: Storage, step: str, spec: str) -> None:
        self._limiter = FixedWindowRateLimiter(storage)
        self._step = step
        self._items: list[RateLimitItem] = list(parse_many(spec))

    def _keys(self, operator: str, ip: str) -> tuple[tuple[str, str], ...]:
        return (("operator", operator), ("ip", ip))

    def check(self, *, operator: str, ip: str) -> Refusal | None:
        """A Refusal when this operator or this IP has used up its failures; counts nothing."""
        worst = 0
        for kind, value in self._keys(operator, ip):
            for item in self._items:
                if not self._limiter.test(item, "console-step-up", self._step, kind, value):
                    stats = self._limiter.get_window_stats(item, "console-step-up", self._step, kind, value)
                    worst = max(worst, math.ceil(stats.reset_time - time.time()))
        return Refusal(retry_after=max(worst, 1)) if worst else None

    def fail(self, *, operator: str, ip: str) -> None:
        for kind, value in self._keys(operator, ip):
            for item in self._items:
                self._limiter.hit(item, "console-step-up", self._step, kind, value)


@dataclass(frozen=True)
class StepUpLimits:
    send: StepLimiter  # codes mailed, keyed by operator and IP
    failures: FailureLimiter  # codes refused


def init_step_up(app: Flask) -> None:
    """Build the step-up limiters from STEP_UP_SEND_RATE_LIMIT / STEP_UP_RATE_LIMIT and REDIS_URL."""
    redis_url = app.config.get("REDIS_URL")
    storage = storage_from_string(str(redis_url) if redis_url else "memory://")
    assert isinstance(storage, Storage)
    send_spec = str(app.config.get("STEP_UP_SEND_RATE_LIMIT") or DEFAULT_STEP_UP_SEND_LIMIT)
    fail_spec = str(app.config.get("STEP_UP_RATE_LIMIT") or DEFAULT_STEP_UP_LIMIT)
    app.extensions[_STEP_UP_EXTENSION_KEY] = StepUpLimits(
        send=StepLimiter(storage, "step-up-send", send_spec),
        failures=FailureLimiter(storage, "step-up-verify", fail_spec),
    )


def step_up_limits() -> StepUpLimits:
    found: StepUpLimits = current_app.extensions[_STEP_UP_EXTENSION_KEY]
    return found
