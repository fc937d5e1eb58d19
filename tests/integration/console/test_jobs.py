"""Background jobs with real worker processes (`python -m webapp.jobs`), as `make run` and production runs
them.

The console (in this process) and each worker (a child) read the same instance folder: its config.py, its
store and its SQLite queue. Waiting is polling the store with a deadline, never a fixed sleep. Covered: a job
from queued to done through a worker, the pages (My jobs, the panel, the download) for its owner only, a
worker killed with SIGKILL mid-job whose job the reaper queues again and a second worker finishes (each side
effect once), and a console restarted while its job waits.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.console import operator_session
from tests.support.jobs_worker import start_worker, write_instance_config
from tests.support.processes import ChildProcess
from webapp.access import Operator, PartnerRef
from webapp.jobs import api, records
from webapp.jobs.queue import reap
from webapp.jobs.records import DONE, FAILED, QUEUED, RUNNING

PARTNER = 1
OWNER_ID = 991001


def instance_settings(instance: Path, **extra: Any) -> dict[str, Any]:
    """What the console and its workers share, written to `instance/config.py` as an operator would."""
    settings: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "CONSOLE_ENV": "sandbox",
        "CMS_BASE_URL": "http://127.0.0.1:9/cms/rest",  # the test jobs never call the CMS
        "DATABASE_URL": f"sqlite:///{instance / 'console.sqlite3'}",
        "LOG_LEVEL": "INFO",
        # A worker that stopped beating for 2 s is gone (production: 60 s).
        "JOBS_HEARTBEAT_SECONDS": 0.3,
        "JOBS_STALE_SECONDS": 2,
        **extra,
    }
    write_instance_config(instance, settings)
    return settings


def console_app(instance: Path, settings: dict[str, Any]) -> Flask:
    from webapp import create_app

    return create_app({**settings, "INSTANCE_PATH": str(instance), "REDIS_URL": None})


def wait_for(what: str, check: Callable[[], bool], workers: list[ChildProcess], seconds: float = 30) -> None:
    """Poll `check` until it holds; fail with the workers' own output when it does not in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    logs = "\n".join(f"--- {worker.name}\n{worker.log_tail()}" for worker in workers)
    pytest.fail(f"{what} did not happen within {seconds:.0f} s\n{logs}")


def job_now(app: Flask, job_id: int) -> records.Job:
    with app.app_context():
        job = records.get(job_id)
    assert job is not None
    return job


def owner(partners: tuple[int, ...] = (PARTNER,), operator_id: int = OWNER_ID) -> Operator:
    return Operator(
        id=operator_id,
        email="frame.tester@demo.migo",
        name="Frame Tester",
        is_admin=False,
        otp_elevation=True,
        partners=tuple(PartnerRef(pid, f"Partner {pid}") for pid in partners),
        permissions={pid: frozenset() for pid in partners},
    )


class Jobs:
    """A console app and the workers started for it (all stopped at the end of the test)."""

    def __init__(self, instance: Path, **extra: Any) -> None:
        self.instance = instance
        self.settings = instance_settings(instance, **extra)
        self.app = console_app(instance, self.settings)
        self.workers: list[ChildProcess] = []

    def worker(self, name: str = "worker", *args: str) -> ChildProcess:
        child = start_worker(self.instance, f"{name}-{len(self.workers)}", *args)
        self.workers.append(child)
        return child

    def enqueue(
        self, params: dict[str, Any], operator: Operator | None = None, partner: int = PARTNER
    ) -> int:
        with self.app.app_context():
            return api.enqueue("probe", params, operator or owner(), partner).id

    def wait(self, what: str, check: Callable[[], bool], seconds: float = 30) -> None:
        wait_for(what, check, self.workers, seconds)

    def stop(self) -> None:
        for child in self.workers:
            child.stop()


@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[Jobs]:
    handle = Jobs(tmp_path / "instance")
    yield handle
    handle.stop()


def test_a_worker_takes_a_job_from_queued_through_running_to_done(jobs: Jobs, tmp_path: Path) -> None:
    job_id = jobs.enqueue({"steps": 4, "step_seconds": 0.3, "file": True})
    assert job_now(jobs.app, job_id).state == QUEUED
    worker = jobs.worker()
    jobs.wait("the job running", lambda: job_now(jobs.app, job_id).state in (RUNNING, DONE))
    jobs.wait("the job done", lambda: job_now(jobs.app, job_id).state == DONE)
    done = job_now(jobs.app, job_id)
    assert (done.progress_done, done.progress_total, done.attempts) == (4, 4, 1)
    assert done.worker is not None
    assert done.worker.endswith(f":{worker.process.pid}")
    assert done.result_name == "probe.csv"


def test_a_failing_job_is_failed_with_its_reason(jobs: Jobs) -> None:
    job_id = jobs.enqueue({"steps": 1, "fail": True})
    jobs.worker()
    jobs.wait("the job failed", lambda: job_now(jobs.app, job_id).state == FAILED)
    assert job_now(jobs.app, job_id).failure == "the test job was asked to fail"


def test_my_jobs_the_panel_and_the_file_are_for_the_owner_only(jobs: Jobs) -> None:
    job_id = jobs.enqueue({"steps": 2, "file": True})
    client = jobs.app.test_client()
    operator_session(client, partners={PARTNER: "Banco Quetzal", 2: "Fintech Maya"}, operator_id=OWNER_ID)

    listed = client.get(f"/p/{PARTNER}/jobs/").get_data(as_text=True)
    assert f'data-job-id="{job_id}"' in listed
    assert 'data-state="queued"' in listed
    assert 'href="/p/1/jobs/"' in listed  # "My jobs" in the sections nav
    queued = client.get(f"/p/{PARTNER}/jobs/{job_id}/panel", headers={"HX-Request": "true"})
    assert queued.status_code == 200
    panel = queued.get_data(as_text=True)
    assert 'hx-trigger="every 2s, poll-now"' in panel
    assert "data-poll-visible" in panel
    assert client.get(f"/p/{PARTNER}/jobs/{job_id}/download").status_code == 404  # not done yet

    jobs.worker()
    jobs.wait("the job done", lambda: job_now(jobs.app, job_id).state == DONE)
    done = client.get(f"/p/{PARTNER}/jobs/{job_id}/panel").get_data(as_text=True)
    assert 'data-state="done"' in done
    assert "hx-trigger" not in done  # a finished panel stops polling
    assert f'href="/p/{PARTNER}/jobs/{job_id}/download"' in done
    download = client.get(f"/p/{PARTNER}/jobs/{job_id}/download")
    assert download.status_code == 200
    assert download.get_data() == b"step\n0\n1\n"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"

    toast = client.get("/jobs/finished", headers={"HX-Request": "true", "X-Background": "1"})
    assert toast.status_code == 200
    assert 'hx-swap-oob="beforeend:#flash"' in toast.get_data(as_text=True)
    assert client.get("/jobs/finished", headers={"X-Background": "1"}).status_code == 204  # told once

    # The owner on another of their partners, a colleague on the same partner, the owner after losing it.
    on_other_partner = jobs.app.test_client()
    both = {PARTNER: "Banco Quetzal", 2: "Fintech Maya"}
    operator_session(on_other_partner, partners=both, operator_id=OWNER_ID)
    colleague = jobs.app.test_client()
    operator_session(colleague, partners={PARTNER: "Banco Quetzal"}, operator_id=OWNER_ID + 1)
    for outsider, partner in ((on_other_partner, 2), (colleague, PARTNER)):
        for path in ("", "/panel", "/download"):
            assert outsider.get(f"/p/{partner}/jobs/{job_id}{path}").status_code == 404
        assert f'data-job-id="{job_id}"' not in outsider.get(f"/p/{partner}/jobs/").get_data(as_text=True)
        assert outsider.get("/jobs/finished").status_code == 204
    moved = jobs.app.test_client()
    operator_session(moved, partners={2: "Fintech Maya"}, operator_id=OWNER_ID)
    assert moved.get(f"/p/{PARTNER}/jobs/{job_id}/download").status_code == 403  # the gate: partner not held
    assert moved.get(f"/p/2/jobs/{job_id}/download").status_code == 404


def test_a_job_whose_worker_is_killed_is_finished_by_another_with_each_effect_once(
    jobs: Jobs, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    steps = 6
    job_id = jobs.enqueue({"steps": steps, "step_seconds": 0.4, "marks": str(marks)})
    first = jobs.worker("first", "--no-periodic")
    jobs.wait("two steps done by the first worker", lambda: job_now(jobs.app, job_id).progress_done >= 2)
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    halfway = job_now(jobs.app, job_id)
    assert halfway.state == RUNNING
    assert halfway.progress_done < steps

    queue = jobs.app.extensions["jobs"]
    requeued: list[int] = []
    jobs.wait(
        "the reaper requeueing the job of the killed worker",
        lambda: bool(requeued.extend(reap(jobs.app, queue).requeued) or requeued),
    )
    assert requeued == [job_id]
    assert job_now(jobs.app, job_id).state == QUEUED

    second = jobs.worker("second", "--no-periodic")
    jobs.wait("the job done by the second worker", lambda: job_now(jobs.app, job_id).state == DONE)
    done = job_now(jobs.app, job_id)
    assert done.attempts == 2
    assert done.worker is not None
    assert done.worker.endswith(f":{second.process.pid}")
    assert (marks / f"job-{job_id}.log").read_text().splitlines() == [str(step) for step in range(steps)]


def test_a_restarted_console_loses_nothing(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    first = Jobs(instance)
    job_id = first.enqueue({"steps": 1})
    first.app.extensions["store"].engine.dispose()  # the console stops with its job still queued

    second = Jobs(instance)
    try:
        assert job_now(second.app, job_id).state == QUEUED
        second.worker()
        second.wait("the job done after the restart", lambda: job_now(second.app, job_id).state == DONE)
    finally:
        second.stop()
