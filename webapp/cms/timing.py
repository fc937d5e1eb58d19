"""Time budgets of upstream calls: the per-attempt timeouts cut to what is left of the call's deadline,
when a retry still fits, and the per-thread total the console reports in its Server-Timing header."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import httpx

from webapp.cms.settings import CmsSettings

Clock = Callable[[], float]

# Uploads and evidence carry up to 16 MB; they get a longer overall budget than a page read.
UPLOAD_DEADLINE_FACTOR = 4.0
# Back-off between two attempts of one call (stamina's full-jitter exponential wait), in seconds.
RETRY_WAIT_INITIAL = 0.2
RETRY_WAIT_MAX = 1.0
RETRY_WAIT_JITTER = 0.8


def attempt_timeout(settings: CmsSettings, remaining: float = math.inf) -> httpx.Timeout:
    """The configured timeouts, none longer than what is left of the call's deadline (if given)."""
    return httpx.Timeout(
        connect=min(settings.connect_timeout, remaining),
        read=min(settings.read_timeout, remaining),
        write=min(settings.write_timeout, remaining),
        pool=min(settings.pool_timeout, remaining),
    )


def shrink_read_timeout(request: httpx.Request, remaining: float) -> None:
    """Let the next socket read wait no longer than the overall deadline (httpcore re-reads this per read)."""
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        current = timeout.get("read")
        if current is None or current > remaining:
            timeout["read"] = remaining


def wait_as_told(retry_after: float | None, cap: float, remaining: float) -> bool | float:
    """After a 429 or a 503 with Retry-After: wait as told when that is short and still fits the deadline,
    else give up (stamina reads a float as the wait, False as no retry)."""
    if retry_after is None or retry_after > cap or retry_after >= remaining:
        return False
    return float(retry_after)


# -- per-thread upstream time, for the console's Server-Timing header ----------------------------------------
_timer = threading.local()


def reset_upstream_timer() -> None:
    _timer.seconds = 0.0


def upstream_elapsed() -> float:
    """Seconds spent waiting on the upstream by this thread since the last reset."""
    return float(getattr(_timer, "seconds", 0.0))


def upstream_elapsed_ms() -> float:
    return upstream_elapsed() * 1000.0


def add_upstream_time(seconds: float) -> None:
    _timer.seconds = upstream_elapsed() + seconds
