"""Scaled out: the queue on Redis (JOBS_BROKER_URL), two worker processes, and jobs split between them.

Needs the local Redis; skipped with the reason when it is not reachable, and a failure under CI (CI=true),
as tests/integration/console/test_scaled_out.py does. The queue gets a name of its own for the run, and is
emptied at the end, so it never meets another console's tasks on the shared Redis.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import RedisHuey

from tests.integration.console.test_jobs import Jobs, job_now
from webapp.jobs.records import DONE

pytestmark = pytest.mark.scaled

REDIS_URL = os.environ.get("SCALED_REDIS_URL", "redis://127.0.0.1:6379/3")


def _require_redis() -> None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return
    except OSError:
        pass
    reason = "Redis not reachable on 127.0.0.1:6379 (needed for the jobs' scaled mode)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def scaled(tmp_path: Path) -> Iterator[Jobs]:
    _require_redis()
    name = f"console-jobs-test-{uuid.uuid4().hex}"
    handle = Jobs(tmp_path / "instance", JOBS_BROKER_URL=REDIS_URL, JOBS_QUEUE_NAME=name)
    try:
        yield handle
    finally:
        handle.stop()
        handle.app.extensions["jobs"].huey.storage.flush_all()


def _ready(worker_log: Path) -> bool:
    return worker_log.is_file() and "jobs worker" in worker_log.read_text(errors="replace")


def test_two_workers_on_redis_share_the_jobs(scaled: Jobs) -> None:
    assert isinstance(scaled.app.extensions["jobs"].huey, RedisHuey)
    workers = [scaled.worker("node-a"), scaled.worker("node-b", "--no-periodic")]
    scaled.wait("both workers up", lambda: all(_ready(worker.log_path) for worker in workers))
    job_ids = [scaled.enqueue({"steps": 4, "step_seconds": 0.4, "nonce": str(n)}) for n in range(2)]
    scaled.wait("both jobs done", lambda: all(job_now(scaled.app, i).state == DONE for i in job_ids))
    ran_on = {job_now(scaled.app, job_id).worker for job_id in job_ids}
    assert ran_on == {f"{socket.gethostname()[:60]}:{worker.process.pid}" for worker in workers}
