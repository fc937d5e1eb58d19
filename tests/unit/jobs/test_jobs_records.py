"""The job record's life: states, idempotent enqueue, the claim that makes a second delivery harmless, the
fencing that keeps a superseded attempt from writing, the reaper (lost workers, deadlines) and a restart.

Attempts run in-process here (webapp/jobs/runner.py, exactly what a worker thread runs); the tests with real
worker processes, a kill -9 among them, are in tests/integration/console/test_jobs.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from tests.unit.jobs.conftest import jobs_app
from webapp.access import Operator, PartnerRef
from webapp.jobs import api, records, runner
from webapp.jobs.creating import UnknownKind
from webapp.jobs.queue import pending, reap
from webapp.jobs.records import DONE, FAILED, QUEUED, RUNNING, STUCK, WORKER_LOST

PARTNER = 1


def operator(operator_id: int = 7001, partners: tuple[int, ...] = (PARTNER,)) -> Operator:
    return Operator(
        id=operator_id,
        email=f"op{operator_id}@test.migo",
        name="Job Tester",
        is_admin=False,
        otp_elevation=False,
        partners=tuple(PartnerRef(pid, f"Partner {pid}") for pid in partners),
        permissions={pid: frozenset() for pid in partners},
    )


def run(app: Flask, job_id: int) -> str:
    return runner.execute(app, api.current_queue().settings, job_id)


def test_a_job_goes_from_queued_to_running_to_done(app: Flask) -> None:
    with app.app_context():
        job = api.enqueue("probe", {"steps": 3, "file": True}, operator(), PARTNER)
        assert (job.state, job.attempts, job.progress_done) == (QUEUED, 0, 0)
        claimed = records.claim(job.id, "test:1")
        assert claimed is not None
        assert (claimed.state, claimed.attempts) == (RUNNING, 1)
        records.progress(job.id, 1, done=1, total=3, counts={"steps": 1})
        running = records.get(job.id)
        assert running is not None
        assert (running.progress_done, running.progress_total, running.percent) == (1, 3, 33)
        records.finish(job.id, 1, counts={"steps": 3})
        done = records.get(job.id)
        assert done is not None
        assert done.state == DONE
        assert done.finished_at is not None


def test_the_runner_finishes_a_job_with_its_file_and_fails_one_with_its_reason(app: Flask) -> None:
    with app.app_context():
        ok = api.enqueue("probe", {"steps": 2, "file": True}, operator(), PARTNER)
        bad = api.enqueue("probe", {"steps": 2, "fail": True}, operator(), PARTNER)
        assert run(app, ok.id) == "done"
        assert run(app, bad.id) == "failed"
        finished, failed = records.get(ok.id), records.get(bad.id)
    assert finished is not None
    assert finished.state == DONE
    assert finished.counts == {"steps": 2}
    assert finished.result_name == "probe.csv"
    assert finished.result_ref
    path = Path(app.instance_path) / "jobs" / f"{finished.result_ref}.bin"
    assert path.read_text() == "step\n0\n1\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert failed is not None
    assert failed.state == FAILED
    assert failed.failure == "the test job was asked to fail"
    assert failed.result_ref is None


def test_the_same_request_twice_is_one_job_and_one_task(app: Flask) -> None:
    with app.app_context():
        first = api.enqueue("probe", {"steps": 2, "nonce": "a"}, operator(), PARTNER)
        again = api.enqueue("probe", {"nonce": "a", "steps": 2}, operator(), PARTNER)
        other = api.enqueue("probe", {"steps": 2, "nonce": "b"}, operator(), PARTNER)
        colleague = api.enqueue("probe", {"steps": 2, "nonce": "a"}, operator(7002), PARTNER)
        assert again.id == first.id
        assert len({first.id, other.id, colleague.id}) == 3
        assert pending(api.current_queue()) == 3


def test_a_second_delivery_of_a_task_does_nothing(app: Flask) -> None:
    with app.app_context():
        job = api.enqueue("probe", {"steps": 2}, operator(), PARTNER)
        assert run(app, job.id) == "done"
        assert run(app, job.id) == "skipped"
        again = records.get(job.id)
    assert again is not None
    assert again.attempts == 1
    assert again.state == DONE


def test_an_attempt_the_reaper_gave_up_on_cannot_write_any_more(app: Flask) -> None:
    with app.app_context():
        job = api.enqueue("probe", {"steps": 2}, operator(), PARTNER)
        assert records.claim(job.id) is not None
        later = records.now() + timedelta(minutes=5)
        reaped = reap(app, api.current_queue(), moment=later)
        assert reaped.requeued == (job.id,)
        with pytest.raises(records.JobLost):
            records.progress(job.id, 1, done=1, total=2, counts=None)
        with pytest.raises(records.JobLost):
            records.finish(job.id, 1)
        assert records.claim(job.id) is not None  # the second attempt
        records.finish(job.id, 2, counts={"steps": 2})
        done = records.get(job.id)
    assert done is not None
    assert (done.state, done.attempts) == (DONE, 2)


def test_a_job_whose_worker_keeps_dying_fails_after_its_attempts(tmp_path: Path) -> None:
    app = jobs_app(tmp_path / "instance", JOBS_MAX_ATTEMPTS=2)
    queue_time = records.now()
    with app.app_context():
        job = api.enqueue("probe", {"steps": 2}, operator(), PARTNER)
        for attempt in (1, 2):
            assert records.claim(job.id) is not None
            queue_time += timedelta(minutes=2)
            reaped = reap(app, api.current_queue(), moment=queue_time)
            assert (reaped.requeued if attempt == 1 else reaped.failed) == (job.id,)
        failed = records.get(job.id)
    assert failed is not None
    assert (failed.state, failed.failure, failed.attempts) == (FAILED, WORKER_LOST, 2)


def test_a_job_past_its_deadline_fails_with_the_reason(app: Flask) -> None:
    with app.app_context():
        waiting = api.enqueue("probe", {"steps": 1, "nonce": "waiting"}, operator(), PARTNER)
        running = api.enqueue("probe", {"steps": 1, "nonce": "running"}, operator(), PARTNER)
        assert records.claim(running.id) is not None
        past = records.now() + timedelta(seconds=api.current_queue().settings.deadline_seconds + 1)
        reaped = reap(app, api.current_queue(), moment=past)
        assert set(reaped.failed) == {waiting.id, running.id}
        for job_id in (waiting.id, running.id):
            job = records.get(job_id)
            assert job is not None
            assert (job.state, job.failure) == (FAILED, STUCK)
        with pytest.raises(records.JobLost):
            records.beat(running.id, 1)


def test_a_queued_job_nobody_took_is_sent_again_once_the_queue_is_empty(app: Flask) -> None:
    later = records.now() + timedelta(minutes=5)
    with app.app_context():
        job = api.enqueue("probe", {"steps": 1}, operator(), PARTNER)
        queue = api.current_queue()
        assert reap(app, queue, moment=later).resent == ()  # its task is still in the queue: a backlog
        assert pending(queue) == 1
        queue.huey.flush()  # the task was lost on its way (a broker restart without persistence)
        assert reap(app, queue, moment=later).resent == (job.id,)
        assert pending(queue) == 1


def test_a_restarted_console_has_every_job_and_every_queued_task(tmp_path: Path) -> None:
    first = jobs_app(tmp_path / "instance")
    with first.app_context():
        job = api.enqueue("probe", {"steps": 1}, operator(), PARTNER)
    first.extensions["store"].engine.dispose()
    second = jobs_app(tmp_path / "instance")
    with second.app_context():
        assert api.job_for(operator(), job.id, partner_id=PARTNER) is not None
        assert pending(api.current_queue()) == 1
        assert run(second, job.id) == "done"


def test_a_job_belongs_to_its_operator_and_partner(app: Flask) -> None:
    owner = operator(7001, (1, 2))
    with app.app_context():
        job = api.enqueue("probe", {"steps": 1}, owner, 1)
        everywhere = api.enqueue("probe", {"steps": 1}, owner, None)
        assert api.job_for(owner, job.id, partner_id=1) is not None
        assert api.job_for(owner, job.id, partner_id=2) is None  # the owner, on another partner
        assert api.job_for(operator(7002, (1,)), job.id, partner_id=1) is None  # a colleague
        assert api.job_for(operator(7001, (2,)), job.id, partner_id=1) is None  # no longer holding partner 1
        assert api.job_for(owner, everywhere.id, partner_id=2) is not None
        assert [j.id for j in api.my_jobs(owner, partner_id=1)] == [everywhere.id, job.id]
        assert [j.id for j in api.my_jobs(owner, partner_id=2)] == [everywhere.id]
        assert api.my_jobs(operator(7002, (1,)), partner_id=1) == []
        with pytest.raises(PermissionError):
            api.enqueue("probe", {"steps": 1}, operator(7002, (1,)), 2)


def test_the_test_kind_exists_only_under_testing(tmp_path: Path) -> None:
    app = jobs_app(tmp_path / "instance", TESTING=False)
    with app.app_context(), pytest.raises(UnknownKind):
        api.enqueue("probe", {"steps": 1}, operator(), PARTNER)


def test_finished_jobs_are_told_once(app: Flask) -> None:
    owner = operator()
    with app.app_context():
        job = api.enqueue("probe", {"steps": 1}, owner, PARTNER)
        assert api.finished_for(owner) == []
        run(app, job.id)
        assert [j.id for j in api.finished_for(owner)] == [job.id]
        assert api.finished_for(owner) == []
