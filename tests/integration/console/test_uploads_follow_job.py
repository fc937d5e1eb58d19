"""Following a sent upload as a background job (`bulk_follow`, webapp/uploads/follow.py), against the sandbox.

Covered: the follow is a job of the operator who sent the file (in their "My jobs"), its parameters carry no
token and no session id (only the session's reference, released when it ends); a second delivery of its task
after the batch finished does nothing (no progress read, the same outcomes); a worker process killed with
SIGKILL mid-follow leaves the job to the reaper, and a second worker resumes it from the store's state to the
batch's end with each row's outcome stored once (the console restarted meanwhile); a follow whose operator's
session ended (before it ran, or at a frame while it reads) stops, says why, and leaves the upload "still
processing"; a follow stuck past its deadline fails with that reason.
"""

from __future__ import annotations

import json
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.integration.console.test_jobs import wait_for
from tests.integration.console.test_uploads_flow import (
    PARTNER,
    UPLOADER,
    batch_pace,
    csv_file,
    free_cards,
    person,
    post_file,
    send,
    upload_id_of,
    wait_until_done,
)
from tests.support.auth import Auth
from tests.support.console import STEP_UP_FOR_AN_HOUR, console_config, make_console
from tests.support.jobs_worker import share_with_workers, start_worker
from tests.support.processes import ChildProcess
from tests.support.sandbox import SandboxHandle
from webapp.auth import job_session
from webapp.auth.token_holder import TOKENS_KEY
from webapp.cms.errors import SessionEnded
from webapp.jobs import records as job_records
from webapp.jobs.queue import reap
from webapp.jobs.records import DONE, FAILED, RUNNING, Job
from webapp.store import current_store
from webapp.store.uploads import UPSTREAM, UploadNote, UploadRecord
from webapp.uploads import follow
from webapp.uploads import records as upload_records

PROGRESS_ROUTE = f"/app/partners/{PARTNER}/cardholders/batch/*/progress"
SUBMIT_ROUTE = f"POST /app/partners/{PARTNER}/cardholders/upload"
# What the console and its worker processes share beyond tests/support/jobs_worker.py SHARED.
ALSO_SHARED = ("UPLOADS_PROGRESS_IDLE_SECONDS", "JOBS_HEARTBEAT_SECONDS", "JOBS_STALE_SECONDS")
SETTINGS: dict[str, Any] = {
    "LOGIN_RATE_LIMIT": "100 per minute",
    "OTP_RATE_LIMIT": "100 per minute",
    "UPLOADS_PROGRESS_IDLE_SECONDS": 5,
    "JOBS_HEARTBEAT_SECONDS": 0.3,
    "JOBS_STALE_SECONDS": 2,
    **STEP_UP_FOR_AN_HOUR,
}


def _follows(app: Flask, upload_id: int) -> list[Job]:
    with app.app_context(), current_store().session() as db:
        jobs = db.scalars(select(Job).where(Job.kind == follow.KIND_NAME).order_by(Job.id)).all()
    return [job for job in jobs if job.params.get("upload_id") == upload_id]


def _upload(app: Flask, upload_id: int) -> UploadRecord:
    with app.app_context():
        upload = upload_records.load(upload_id)
    assert upload is not None
    return upload


def _outcome_rows(app: Flask, upload_id: int) -> tuple[int, int]:
    """How many upstream outcomes are stored for the upload, and for how many distinct rows."""
    where = (UploadNote.upload_id == upload_id, UploadNote.phase == UPSTREAM)
    with app.app_context(), current_store().session() as db:
        total = db.scalar(select(func.count()).where(*where)) or 0
        rows = db.scalar(select(func.count(func.distinct(UploadNote.row))).where(*where)) or 0
    return int(total), int(rows)


def _sent_upload(app: Flask, sandbox: SandboxHandle, rows: int) -> tuple[Any, int]:
    client = Auth(app, sandbox).sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    cards = free_cards(sandbox, rows)
    upload_id = upload_id_of(post_file(client, csv_file([person(i, card) for i, card in enumerate(cards)])))
    return client, upload_id


def test_the_follow_is_the_operators_job_and_a_second_delivery_does_nothing(
    clean_faults: SandboxHandle, tmp_path: Path
) -> None:
    sandbox = clean_faults
    app = make_console(sandbox, tmp_path, jobs_worker=True, **SETTINGS)
    client, upload_id = _sent_upload(app, sandbox, 3)
    assert send(client, upload_id).status_code == 303
    assert 'data-state="done"' in wait_until_done(client, upload_id)

    [job] = _follows(app, upload_id)
    assert job.state == DONE
    assert job.counts == {"processed": 3, "succeeded": 3, "failed": 0}
    assert job.partner_id == PARTNER
    listed = client.get(f"/p/{PARTNER}/jobs/").get_data(as_text=True)
    assert f'data-job-id="{job.id}"' in listed  # in the operator's "My jobs"
    assert "Following a bulk upload" in listed
    # No token and no readable session id in what the job carries.
    params = json.dumps(job.params)
    with client.session_transaction() as session:
        sid = str(getattr(session, "sid", ""))
        tokens = dict(session[TOKENS_KEY])
    assert sid
    assert sid not in params
    assert set(job.params) == {"upload_id", "session", "after"}
    secrets = [str(value) for value in tokens.values() if isinstance(value, str) and len(value) > 16]
    assert secrets
    assert not [value for value in secrets if value in params]
    # The job's way to the session was released when the follow ended.
    with app.app_context(), pytest.raises(SessionEnded):
        job_session.borrow(app, str(job.params["session"]))

    reads, outcomes = len(sandbox.calls(PROGRESS_ROUTE)), _outcome_rows(app, upload_id)
    queue = app.extensions["jobs"]
    queue.send(job.id)  # the same task delivered again (at least once)
    with app.app_context():
        again, created = job_records.create(
            follow.KIND_NAME,
            job.params,
            operator_id=job.operator_id,
            partner_id=job.partner_id,
            deadline_seconds=60,
        )
    assert (again.id, created) == (job.id, False)  # the same follow asked again is the same job
    wait_for("the second delivery", lambda: queue.huey.pending_count() == 0, [], seconds=10)
    # And the kind itself, run again on the finished upload (as a retry would): no read, nothing written.
    from webapp.jobs.runner import execute

    assert execute(app, queue.settings, job.id) == "skipped"
    assert len(sandbox.calls(PROGRESS_ROUTE)) == reads
    assert _outcome_rows(app, upload_id) == outcomes == (3, 3)
    final = _follows(app, upload_id)
    assert [(j.id, j.state, j.attempts) for j in final] == [(job.id, DONE, 1)]
    assert client.get(f"/p/{PARTNER}/uploads/{upload_id}/progress").status_code == 200
    assert len(_follows(app, upload_id)) == 1  # a finished upload enqueues no further follow


def test_a_worker_killed_mid_follow_is_resumed_by_another_without_duplicate_rows(
    clean_faults: SandboxHandle, tmp_path: Path
) -> None:
    sandbox = clean_faults
    config = console_config(sandbox, tmp_path, **SETTINGS)
    instance = share_with_workers(config, ALSO_SHARED)
    from webapp import create_app

    app = create_app(config)
    workers: list[ChildProcess] = []
    try:
        client, upload_id = _sent_upload(app, sandbox, 8)
        with batch_pace(sandbox, 1):  # 8 s: the first worker is killed while it follows
            assert send(client, upload_id).status_code == 303
            [job] = _follows(app, upload_id)
            workers.append(start_worker(instance, "follow-a"))
            wait_for(
                "the first worker reading progress",
                lambda: _upload(app, upload_id).processed >= 2,
                workers,
            )
            held = _follows(app, upload_id)[0]
            assert (held.state, held.attempts) == (RUNNING, 1)
            assert held.worker is not None
            assert held.worker.endswith(f":{workers[0].process.pid}")
            workers[0].process.send_signal(signal.SIGKILL)
            workers[0].process.wait(timeout=10)
            partway = _upload(app, upload_id)
            assert partway.status not in ("completed", "failed")

            app = create_app(config)  # the console restarted meanwhile: the store and the queue keep all
            workers.append(start_worker(instance, "follow-b"))
            with app.app_context():
                later = job_records.now() + timedelta(seconds=3)
            reaped = reap(app, app.extensions["jobs"], moment=later)
            assert reaped.requeued == (job.id,)
            wait_for(
                "the second worker finishing the follow",
                lambda: _follows(app, upload_id)[0].state in (DONE, FAILED),
                workers,
                seconds=40,
            )
        done = _follows(app, upload_id)
        assert [(j.id, j.state, j.attempts) for j in done] == [(job.id, DONE, 2)], done[0].failure
        assert done[0].worker is not None
        assert done[0].worker.endswith(f":{workers[1].process.pid}")
        upload = _upload(app, upload_id)
        assert (upload.status, upload.results_fetched) == ("completed", True)
        assert (upload.processed, upload.succeeded, upload.failed) == (8, 8, 0)
        assert _outcome_rows(app, upload_id) == (8, 8)  # each row's outcome stored once
        assert len(sandbox.calls(SUBMIT_ROUTE)) == 1  # the batch was sent once, in the request
        assert len(sandbox.calls(PROGRESS_ROUTE)) == 2  # one read per attempt, never two at once
    finally:
        for worker in workers:
            worker.stop()


def test_a_follow_whose_session_ended_stops_and_says_why(clean_faults: SandboxHandle, tmp_path: Path) -> None:
    sandbox = clean_faults
    app = make_console(sandbox, tmp_path, **SETTINGS)  # no worker yet: the follow waits in the queue
    client, upload_id = _sent_upload(app, sandbox, 3)
    with batch_pace(sandbox, 1):
        assert send(client, upload_id).status_code == 303
        [job] = _follows(app, upload_id)
        signed_out = client.post("/auth/logout", data={"csrf_token": _csrf(client)})
        assert signed_out.status_code in (302, 303), signed_out.status_code
        from tests.support.console import start_jobs_worker

        start_jobs_worker(app)
        wait_for("the follow ended", lambda: not _follows(app, upload_id)[0].live, [], seconds=20)
    ended = _follows(app, upload_id)[0]
    assert (ended.id, ended.state) == (job.id, FAILED)
    assert ended.failure == follow.SESSION_ENDED
    assert _upload(app, upload_id).stalled_at is not None  # the page says "still processing"


def test_a_sign_out_ends_a_running_follow_at_its_next_frame(
    clean_faults: SandboxHandle, tmp_path: Path
) -> None:
    sandbox = clean_faults
    app = make_console(sandbox, tmp_path, jobs_worker=True, **SETTINGS)
    client, upload_id = _sent_upload(app, sandbox, 8)
    with batch_pace(sandbox, 1):  # 8 s: the stream is open, a frame every second, when the operator leaves
        assert send(client, upload_id).status_code == 303
        [job] = _follows(app, upload_id)
        wait_for("the follow reading frames", lambda: _upload(app, upload_id).processed >= 1, [], seconds=10)
        signed_out = client.post("/auth/logout", data={"csrf_token": _csrf(client)})
        assert signed_out.status_code in (302, 303), signed_out.status_code
        wait_for("the follow ended", lambda: not _follows(app, upload_id)[0].live, [], seconds=5)
    ended = _follows(app, upload_id)[0]
    assert (ended.id, ended.state, ended.failure) == (job.id, FAILED, follow.SESSION_ENDED)
    upload = _upload(app, upload_id)
    assert upload.processed < 8  # cut off mid-batch, not at the stream's end
    assert upload.stalled_at is not None  # the page says "still processing"
    assert len(sandbox.calls(PROGRESS_ROUTE)) == 1  # no round after the session ended


def _csrf(client: Any) -> str:
    from tests.integration.console.test_auth_login import csrf_from

    return csrf_from(client.get(f"/p/{PARTNER}/uploads/").get_data(as_text=True))


def test_a_follow_stuck_past_its_deadline_is_failed_with_the_reason(
    clean_faults: SandboxHandle, tmp_path: Path
) -> None:
    sandbox = clean_faults
    app = make_console(sandbox, tmp_path, **SETTINGS)  # no worker: the follow never runs
    client, upload_id = _sent_upload(app, sandbox, 2)
    assert send(client, upload_id).status_code == 303
    [job] = _follows(app, upload_id)
    with app.app_context():
        late = job.deadline_at.replace(tzinfo=job_records.now().tzinfo) + timedelta(seconds=1)
    reaped = reap(app, app.extensions["jobs"], moment=late)
    assert reaped.failed == (job.id,)
    stuck = _follows(app, upload_id)[0]
    assert (stuck.state, stuck.failure) == (FAILED, job_records.STUCK)
    listed = client.get(f"/p/{PARTNER}/jobs/").get_data(as_text=True)
    assert "stuck past its deadline" in listed  # the operator reads why
