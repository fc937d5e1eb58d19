"""Fault plan F21 at console level: the upstream progress stream of a sent batch drops, sends garbage, stalls.

The console follows the stream in a background reader (webapp/uploads/progress.py) and the browser polls the
console. Whatever the stream does, the progress view says "still processing" (never an error page, never
"done" early, never the raw frame), the batch still reaches its real end, and a silent stream is given up
after the idle timeout with its thread released: repeated stalled follows leave no threads behind.
"""

from __future__ import annotations

import logging
import re
import threading
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
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

IDLE_SECONDS = 1.0  # the console's progress idle timeout in these tests (30 s in production)
PROGRESS_ROUTE = f"/app/partners/{PARTNER}/cardholders/batch/*/progress"
PROGRESS_LOGGER = "webapp.uploads.progress"
GARBAGE = "this is not json"  # what the sandbox's sse_garbage frame carries


pytestmark = pytest.mark.console(
    LOGIN_RATE_LIMIT="100 per minute",
    OTP_RATE_LIMIT="100 per minute",
    UPLOADS_PROGRESS_IDLE_SECONDS=IDLE_SECONDS,
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
    """The error class of every reader that stopped before the end of its batch."""
    return [
        str(getattr(record, "error_class", ""))
        for record in caplog.records
        if record.name == PROGRESS_LOGGER and record.getMessage() == "upload_progress_interrupted"
    ]


def _readers(upload_id: int, before: set[threading.Thread]) -> list[threading.Thread]:
    """This test's live progress readers of the upload: not in `before` (names repeat across consoles, and
    the OS reuses thread idents, so compare the thread objects)."""
    return [
        thread
        for thread in threading.enumerate()
        if thread.name == f"upload-progress-{upload_id}" and thread not in before
    ]


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

    final = wait_until_done(client, upload_id, seconds=30)  # the stalled poll started a new reader
    assert 'data-state="done"' in final
    assert "4 / 4 · 100 %" in final
    assert "4 created" in final
    follows = sandbox.calls(PROGRESS_ROUTE)
    assert follows[0]["fault"] == "sse_drop"
    assert len(follows) >= 2
    assert all(call["fault"] is None for call in follows[1:])


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


def test_stalled_follows_give_up_after_the_idle_timeout_and_leave_no_threads_behind(
    console: Flask, clean_faults: SandboxHandle, caplog: pytest.LogCaptureFixture, auth: Auth
) -> None:
    """Every follow stalls (the fault stays on). Each reader quits after the idle timeout and ends its thread;
    polls meanwhile are answered at once and never start a second reader; the thread count does not grow."""
    sandbox = clean_faults
    caplog.set_level(logging.INFO, logger=PROGRESS_LOGGER)
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    upload_id = _sent_upload(client, sandbox, 10)
    sandbox.set_fault(PROGRESS_ROUTE, "sse_stall", seconds=30)  # one frame, then silence, on every follow
    before = set(threading.enumerate())
    baseline = threading.active_count()
    rounds = 3
    settled: list[int] = []
    with batch_pace(sandbox, 1):  # 10 s: the batch outlives every follow of this test
        started = time.monotonic()
        assert send(client, upload_id).status_code == 303  # starts the first reader
        for _ in range(rounds):
            readers = _readers(upload_id, before)
            assert len(readers) == 1, readers
            for _ in range(3):  # the operator's page keeps polling while the stream is silent
                asked = time.monotonic()
                assert _state(_poll(client, upload_id)) == "running"
                assert time.monotonic() - asked < IDLE_SECONDS / 2  # no request waits on the stream
            assert len(_readers(upload_id, before)) == 1  # the lease keeps it to one reader
            readers[0].join(timeout=IDLE_SECONDS + 10)
            assert not readers[0].is_alive(), "the reader did not give up on a silent stream"
            lived = time.monotonic() - started
            assert IDLE_SECONDS <= lived <= IDLE_SECONDS + 5, lived
            # Given up: its thread and the sandbox's side of the stream are gone; the batch worker remains.
            settled.append(_settle(baseline + 1, seconds=5))
            started = time.monotonic()
            polled = _poll(client, upload_id)  # says "still processing", and starts the next follow
            assert _state(polled) == "stalled"
            assert "Still processing" in polled.get_data(as_text=True)
        last = _readers(upload_id, before)
        assert len(last) == 1
        last[0].join(timeout=IDLE_SECONDS + 10)
        assert not last[0].is_alive()
    assert _interruptions(caplog) == ["UpstreamTimeout"] * (rounds + 1)
    assert len(sandbox.calls(PROGRESS_ROUTE)) == rounds + 1  # one follow at a time, never a duplicate
    assert max(settled) <= baseline + 1, (baseline, settled)  # no growth, however many stalled follows
