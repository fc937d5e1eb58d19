"""The background-job settings, read once per app and checked (they may come from the environment as text)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

BROKER_SCHEMES = ("redis", "rediss", "unix")


@dataclass(frozen=True)
class JobSettings:
    broker_url: str | None  # None: SqliteHuey in the instance folder (one machine)
    queue_name: str
    workers: int  # worker threads per worker process
    cms_concurrency: int  # CMS calls at once per worker process, across all its jobs
    cms_concurrency_total: int  # CMS calls at once across all workers of all nodes (jobs/cms_slots.py)
    max_attempts: int
    stale_seconds: float
    heartbeat_seconds: float
    deadline_seconds: float
    reaper_minutes: int
    retention_hour: int
    result_ttl_seconds: int


def _number(config: Mapping[str, Any], key: str, kind: type[int] | type[float], problems: list[str]) -> Any:
    raw: Any = config.get(key)
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        problems.append(f"{key} must be a number, not {raw!r}")
        return kind(1)
    if isinstance(raw, bool) or value <= 0:
        problems.append(f"{key} must be above 0")
    return value


def _hour(raw: Any, problems: list[str]) -> int:
    try:
        hour = int(raw)
    except (TypeError, ValueError):
        hour = -1
    if isinstance(raw, bool) or not 0 <= hour <= 23:
        problems.append("JOBS_RETENTION_HOUR must be an hour of the day, 0 to 23 (UTC)")
        return 0
    return hour


def read(config: Mapping[str, Any]) -> tuple[JobSettings, list[str]]:
    """The settings and every reason they cannot work (empty when they can)."""
    problems: list[str] = []
    broker = config.get("JOBS_BROKER_URL") or None
    if broker is not None and urlsplit(str(broker)).scheme not in BROKER_SCHEMES:
        problems.append("JOBS_BROKER_URL must be a redis://, rediss:// or unix:// URL (unset: SQLite)")
    settings = JobSettings(
        broker_url=str(broker) if broker else None,
        queue_name=str(config.get("JOBS_QUEUE_NAME") or "console-jobs"),
        workers=_number(config, "JOBS_WORKERS", int, problems),
        cms_concurrency=_number(config, "JOBS_CMS_CONCURRENCY", int, problems),
        cms_concurrency_total=_number(config, "JOBS_CMS_CONCURRENCY_TOTAL", int, problems),
        max_attempts=_number(config, "JOBS_MAX_ATTEMPTS", int, problems),
        stale_seconds=_number(config, "JOBS_STALE_SECONDS", float, problems),
        heartbeat_seconds=_number(config, "JOBS_HEARTBEAT_SECONDS", float, problems),
        deadline_seconds=_number(config, "JOBS_DEADLINE_SECONDS", float, problems),
        reaper_minutes=_number(config, "JOBS_REAPER_MINUTES", int, problems),
        retention_hour=_hour(config.get("JOBS_RETENTION_HOUR"), problems),
        result_ttl_seconds=_number(config, "JOBS_RESULT_TTL_SECONDS", int, problems),
    )
    if settings.reaper_minutes > 59 or 60 % settings.reaper_minutes:
        problems.append("JOBS_REAPER_MINUTES must divide an hour: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30")
    if settings.heartbeat_seconds >= settings.stale_seconds:
        problems.append("JOBS_HEARTBEAT_SECONDS must be shorter than JOBS_STALE_SECONDS")
    return settings, problems
