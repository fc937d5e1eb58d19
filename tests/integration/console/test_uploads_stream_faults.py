"""Fault plan F21 at console level: the upstream progress stream of a sent batch drops, sends garbage, stalls.

The console follows the stream in a background job (`bulk_follow`, webapp/uploads/follow.py, run here by a
jobs worker in this process) and the browser polls the console. Whatever the stream does, the progress view
says "still processing" (never an error page, never "done" early, never the raw frame), the batch still
reaches its real end, and the one follow job reads the stream again after each stall: a stream that stays
silent while the batch makes no progress is given up after a few rounds, the job failed with that reason
(never "done"), and the rounds leave no threads behind.
"""

from __future__ import annotations

import logging
import re
import threading
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests.integration.console.test_uploads_flow import (
    PARTNER,
    UPLOADER,
    batch_pace,
    csv_file,
    detail_url,
    free_cards,
    person,
    post_file,
    send,
    upload_id_of,
    wait_until_done,
)
from tests.support.auth import Auth
from tests.support.console import STEP_UP_FOR_AN_HOUR
from tests.support.sandbox import SandboxHandle
from webapp.jobs import records
from webapp.jobs.records import DONE, FAILED, Job
from webapp.store import current_store
from webapp.store.uploads import UploadRecord
from webapp.uploads import records as upload_records
from webapp.uploads.follow import CUT_OFF, KIND_NAME, QUIET_ROUNDS

IDLE_SECONDS = 1.0  # the console's progress idle timeout in these tests (30 s in production)
QUICK_IDLE_SECONDS = 0.5  # where rounds must be many and short
PROGRESS_ROUTE = f"/app/partners/{PARTNER}/cardholders/batch/*/progress"
STATUS_ROUTE = f"GET /app/partners/{PARTNER}/batches/*"
PROGRESS_LOGGER = "webapp.uploads.progress"
GARBAGE = "this is not json"  # what the sandbox's sse_garbage frame carries


pytestmark = pytest.mark.console(
    LOGIN_RATE_LIMIT="100 per minute",
    OTP_RATE_LIMIT="100 per minute",
    UPLOADS_PROGRESS_IDLE_SECONDS=IDLE_SECONDS,
    jobs_worker=True,  # a sent upload's follow is a background job
    **STEP_UP_FOR_AN_HOUR,
)


def _poll(client: FlaskClient, upload_id: int) -> TestResponse:
    """One background poll, as the progress block sends it every 2 s."""
    return client.get(
        f"{detail_url(upload_id)}/progress", headers={"HX-Request": "true", "X-Background": "1"}
    )


def _state(polled: TestResponse) -> str:
    assert polled.status_code == 200, polled.get_data(as_text=True)[:500]
    found = re.search(r'data-state="(\w+)"', polled.get_data(as_text=True))
    assert found, polled.get_data(as_text=True)[:500]
    return found.group(1)


def _poll_until_stalled(client: FlaskClient, upload_id: int, seconds: float) -> tuple[list[str], str]:
    """Poll until the view says "stalled"; answers every state seen and the stalled block's HTML."""
    deadline = time.monotonic() + seconds
    seen: list[str] = []
    while time.monotonic() < deadline:
        polled = _poll(client, upload_id)
        seen.append(_state(polled))
        if seen[-1] == "stalled":
            return seen, polled.get_data(as_text=True)
        time.sleep(0.1)
    raise AssertionError(f"never stalled; states seen: {seen}")


def _sent_upload(client: FlaskClient, sandbox: SandboxHandle, rows: int) -> int:
    cards = free_cards(sandbox, rows)
    return upload_id_of(post_file(client, csv_file([person(i, card) for i, card in enumerate(cards)])))


def _interruptions(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The error class of every follow that stopped before the end of its batch."""
    return [
        str(getattr(record, "error_class", ""))
        for record in caplog.records
        if record.name == PROGRESS_LOGGER and record.getMessage() == "upload_progress_interrupted"
    ]


def _follows(console: Flask, upload_id: int) -> list[Job]:
    """The upload's follow jobs, oldest first."""
    with console.app_context(), current_store().session() as db:
        jobs = db.scalars(select(Job).where(Job.kind == KIND_NAME).order_by(Job.id)).all()
    return [job for job in jobs if job.params.get("upload_id") == upload_id]


def _follow_running(console: Flask, upload_id: int, number: int) -> Job:
    """The upload's `number`-th follow, once a worker reads the stream for it (it holds the reader lease)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        follows = _follows(console, upload_id)
        with console.app_context():
            upload = upload_records.load(upload_id)
        reader = (upload.reader_token or "") if upload is not None else ""
        if len(follows) >= number and reader.startswith(f"{follows[number - 1].id}."):
            return follows[number - 1]
        time.sleep(0.02)
    raise AssertionError(f"follow {number} never ran: {_follows(console, upload_id)}")


def _job(console: Flask, job_id: int) -> Job:
    with console.app_context():
        job = records.get(job_id)
    assert job is not None
    return job


def _upload(console: Flask, upload_id: int) -> UploadRecord:
    with console.app_context():
        upload = upload_records.load(upload_id)
    assert upload is not None
    return upload


def _ended(console: Flask, job_id: int, seconds: float) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with console.app_context():
            job = records.get(job_id)
        assert job is not None
        if not job.live:
            return job
        time.sleep(0.02)
    raise AssertionError(f"follow job {job_id} did not end within {seconds} s")


def _settle(at_most: int, seconds: float) -> int:
    """The live thread count once it is at most `at_most` (or whatever it is when `seconds` run out)."""
    deadline = time.monotonic() + seconds
    while threading.active_count() > at_most and time.monotonic() < deadline:
        time.sleep(0.05)
    return threading.active_count()


def test_a_dropped_stream_says_still_processing_then_reaches_the_real_end(
    console: Flask, clean_faults: SandboxHandle, caplog: pytest.LogCaptureFixture, auth: Auth
) -> None:
    sandbox = clean_faults
    caplog.set_level(logging.INFO, logger=PROGRESS_LOGGER)
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    upload_id = _sent_upload(client, sandbox, 4)
    sandbox.set_fault(PROGRESS_ROUTE, "sse_drop", times=1, after=1)  # one frame, then the connection closes
    with batch_pace(sandbox, 2):
        assert send(client, upload_id).status_code == 303
        seen, html = _poll_until_stalled(client, upload_id, seconds=6)
    assert set(seen) <= {"running", "stalled"}, seen  # neither "done" nor an error while the stream is gone
    assert 'data-testid="still-processing"' in html
    assert "Still processing" in html
    assert 'hx-trigger="every 2s"' in html  # the block keeps polling by itself
    assert _interruptions(caplog)[0] == "UpstreamUnavailable"  # ended without a terminal frame

    final = wait_until_done(client, upload_id, seconds=30)  # the follow went on after the stall
    assert 'data-state="done"' in final
    assert "4 / 4 · 100 %" in final
    assert "4 created" in final
    reads = sandbox.calls(PROGRESS_ROUTE)
    assert reads[0]["fault"] == "sse_drop"
    assert all(call["fault"] is None for call in reads[1:])
    [job] = _follows(console, upload_id)  # the stall was a round of the same job, which saw the end
    assert _ended(console, job.id, seconds=10).state == DONE
    listed = client.get(f"/p/{PARTNER}/jobs/").get_data(as_text=True)
    assert listed.count("Following a bulk upload") == 1  # one entry in "My jobs"
    toast = client.get("/jobs/finished", headers={"HX-Request": "true", "X-Background": "1"})
    assert f"Following a bulk upload #{job.id} is done." in toast.get_data(as_text=True)


def test_a_garbage_frame_is_never_shown_and_the_batch_still_finishes(
    console: Flask, clean_faults: SandboxHandle, caplog: pytest.LogCaptureFixture, auth: Auth
) -> None:
    sandbox = clean_faults
    caplog.set_level(logging.INFO, logger=PROGRESS_LOGGER)
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    upload_id = _sent_upload(client, sandbox, 4)
    sandbox.set_fault(PROGRESS_ROUTE, "sse_garbage", times=1, after=1)  # a good frame, then a non-JSON one
    with batch_pace(sandbox, 2):
        assert send(client, upload_id).status_code == 303
        seen, html = _poll_until_stalled(client, upload_id, seconds=6)
        page = client.get(detail_url(upload_id))  # a full page load meanwhile: asks for the status itself
    assert set(seen) <= {"running", "stalled"}, seen
    assert "Still processing" in html
    assert page.status_code == 200
    shown = [html, page.get_data(as_text=True)]
    assert _interruptions(caplog)[0] == "BadUpstreamResponse"

    final = wait_until_done(client, upload_id, seconds=30)
    shown.append(final)
    assert 'data-state="done"' in final
    assert "4 created" in final
    for text in shown:
        assert GARBAGE not in text
        assert "{this" not in text
        assert "Traceback" not in text
        assert "BadUpstreamResponse" not in text
    assert GARBAGE not in caplog.text  # nor in the logs
    assert sandbox.calls(PROGRESS_ROUTE)[0]["fault"] == "sse_garbage"


@pytest.mark.console(UPLOADS_PROGRESS_IDLE_SECONDS=QUICK_IDLE_SECONDS)
def test_a_follow_that_never_hears_of_progress_is_one_job_that_says_it_was_cut_off(
    console: Flask, clean_faults: SandboxHandle, caplog: pytest.LogCaptureFixture, auth: Auth
) -> None:
    """Every round of the stream closes before its first frame and every status read fails (the faults stay
    on): one follow job tries round after round (polls meanwhile answered at once, "still processing", never
    a second job), then gives up with its reason: failed, never "done", and so says its toast. Polls then
    start no other follow; a page load (the operator asks) does. The rounds leave no threads behind."""
    sandbox = clean_faults
    caplog.set_level(logging.INFO, logger=PROGRESS_LOGGER)
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    upload_id = _sent_upload(client, sandbox, 10)
    sandbox.set_fault(PROGRESS_ROUTE, "sse_drop", after=0)  # closed before any frame, on every round
    sandbox.set_fault(STATUS_ROUTE, "status", status=500)
    baseline = threading.active_count()  # the console's jobs worker threads included
    with batch_pace(sandbox, 1):  # 10 s: the batch outlives the rounds
        assert send(client, upload_id).status_code == 303  # enqueues the follow
        [follow] = _follows(console, upload_id)
        seen: list[str] = []
        deadline = time.monotonic() + 8
        while _job(console, follow.id).live and time.monotonic() < deadline:
            asked = time.monotonic()
            seen.append(_state(_poll(client, upload_id)))
            assert time.monotonic() - asked < QUICK_IDLE_SECONDS  # no request waits on the stream
            time.sleep(0.05)
        ended = _job(console, follow.id)
        assert (ended.state, ended.failure) == (FAILED, CUT_OFF)  # never "done" for a batch not seen to end
        assert "stalled" in seen
        assert set(seen) <= {"running", "stalled"}, seen  # "still processing", never done nor an error
        rounds = len(sandbox.calls(PROGRESS_ROUTE))
        assert rounds == QUIET_ROUNDS  # not one brought any progress
        assert _interruptions(caplog) == ["UpstreamUnavailable"] * rounds
        assert [job.id for job in _follows(console, upload_id)] == [follow.id]  # one job, all rounds
        toast = client.get("/jobs/finished", headers={"HX-Request": "true", "X-Background": "1"})
        told = toast.get_data(as_text=True)
        assert f"Following a bulk upload #{follow.id} failed." in told
        assert "is done" not in told

        for _ in range(3):  # the tab left open polls on: it says "still processing", and follows no more
            polled = _poll(client, upload_id)
            assert _state(polled) == "stalled"
            assert "Still processing" in polled.get_data(as_text=True)
        assert len(_follows(console, upload_id)) == 1
        assert _settle(baseline + 1, seconds=5) <= baseline + 1  # the rounds' threads are gone
        sandbox.clear_faults()
        assert client.get(detail_url(upload_id)).status_code == 200  # a page load: the operator asks again
        again = _follows(console, upload_id)
        assert len(again) == 2
    assert 'data-state="done"' in wait_until_done(client, upload_id, seconds=30)
    assert _ended(console, again[1].id, seconds=10).state == DONE
