"""The task queue: huey, on SQLite in the instance folder (one machine) or on Redis (several nodes).

The web process only enqueues (a job id) and reads the job records; worker processes (`python -m webapp.jobs`,
webapp/jobs/__main__.py) run the tasks. Three tasks exist, registered on each app's huey instance:

* `run_job(job_id)`: one attempt at a job (webapp/jobs/runner.py);
* `reap_jobs`, every JOBS_REAPER_MINUTES: jobs past their deadline fail ("stuck past its deadline"), jobs
  whose worker stopped beating are queued again (or fail after JOBS_MAX_ATTEMPTS), and when the queue is
  empty, queued jobs nobody took are sent again (their task was lost; harmless: a job is claimed once);
* `daily_retention`, at JOBS_RETENTION_HOUR (UTC): enqueues the day's clean-up (webapp/jobs/retention.py).

Every worker process runs huey's scheduler, so with several processes a periodic task is sent more than once:
the reaper is idempotent and the retention job's idempotency key is its day, so it still runs once a day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from flask import Flask
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey, TaskWrapper

from webapp.jobs import records, runner
from webapp.jobs.creating import create_and_send
from webapp.jobs.settings import JobSettings

log = logging.getLogger(__name__)
SQLITE_FILE: Final = "jobs-queue.sqlite3"
RETENTION_KIND: Final = "retention"


@dataclass(frozen=True)
class JobQueue:
    huey: Huey
    run_job: TaskWrapper
    reap_jobs: TaskWrapper
    daily_retention: TaskWrapper
    settings: JobSettings

    def send(self, job_id: int) -> None:
        self.run_job(job_id)


def build_huey(settings: JobSettings, instance_path: str) -> Huey:
    if settings.broker_url:
        return RedisHuey(settings.queue_name, url=settings.broker_url, results=False)
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    huey = SqliteHuey(settings.queue_name, filename=str(Path(instance_path) / SQLITE_FILE), results=False)
    huey.storage.close()  # opened to create its tables; opened again on first use, by the process using it
    return huey


def reap(app: Flask, queue: JobQueue, moment: datetime | None = None) -> records.Reaped:
    """One reaper pass: fail what is stuck, queue again what lost its worker (see the module docstring)."""
    with app.app_context():
        reaped = records.reap(
            stale_seconds=queue.settings.stale_seconds,
            max_attempts=queue.settings.max_attempts,
            resend_waiting=pending(queue) == 0,
            moment=moment,
        )
    for job_id in (*reaped.requeued, *reaped.resent):
        queue.send(job_id)
    if reaped.requeued or reaped.failed:
        log.warning("jobs reaped: requeued %s, failed %s", list(reaped.requeued), list(reaped.failed))
    return reaped


def build_queue(app: Flask, settings: JobSettings) -> JobQueue:
    huey = build_huey(settings, app.instance_path)
    holder: dict[str, JobQueue] = {}

    def run_job(job_id: int) -> None:
        runner.execute(app, settings, job_id)

    def reap_jobs() -> None:
        reap(app, holder["queue"])

    def daily_retention() -> None:
        with app.app_context():
            day = {"day": datetime.now(UTC).date().isoformat()}
            send, deadline = holder["queue"].send, settings.deadline_seconds
            create_and_send(app, send, deadline, RETENTION_KIND, day, operator_id=None, partner_id=None)

    # huey names a task by module and name: the web process and the workers must register the same names.
    every = crontab(minute=f"*/{settings.reaper_minutes}")
    daily = crontab(minute="7", hour=str(settings.retention_hour))
    queue = JobQueue(
        huey=huey,
        run_job=huey.task(name="run_job")(run_job),
        reap_jobs=huey.periodic_task(every, name="reap_jobs")(reap_jobs),
        daily_retention=huey.periodic_task(daily, name="daily_retention")(daily_retention),
        settings=settings,
    )
    holder["queue"] = queue
    return queue


def pending(queue: JobQueue) -> int:
    """Task messages waiting in the queue (for the tests and the health of a worker)."""
    count: Any = queue.huey.pending_count()
    return int(count)
