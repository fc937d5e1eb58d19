"""The one way a job calls the CMS as its operator (webapp/auth/job_session.py), against the sandbox.

Covered: many threads sharing one borrowed session (an audit part's readers) whose access token is due
refresh it once between them, written back into the operator's session record; the session's reference is
released when the job ends, done or failed, and kept when the attempt lost the job to another attempt; a
session signed out is refused to the job at once; a rotation is written into the session record as stored
then, keeping what the operator's pages wrote meanwhile.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.console.test_auth_login import PARTNER_A
from tests.integration.console.test_cardholders_list import READER, csrf_of
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle
from webapp.auth import job_session
from webapp.auth.token_holder import REVISION_SUFFIX, TOKENS_KEY
from webapp.cms.errors import SessionEnded
from webapp.jobs.kinds import JobFailed
from webapp.jobs.records import JobLost, get
from webapp.upstream import cms

REFRESH = "POST /app/users/refresh"
THREADS = 8


def _left_for_a_job(client: FlaskClient, app: Flask) -> str:
    """A job's session reference, left the way a request leaves it (an export asked, no worker to run it)."""
    asked = client.post(
        f"/p/{PARTNER_A}/cardholders/export", data={"format": "csv", "csrf_token": csrf_of(client)}
    )
    assert asked.status_code in (302, 303), asked.status_code
    job_id = int(asked.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    with app.app_context():
        job = get(job_id)
    assert job is not None
    return str(job.params["session"])


def test_threads_sharing_a_borrowed_session_refresh_it_once(
    auth: Auth, clean_faults: SandboxHandle, console: Flask
) -> None:
    client, _ = auth.sign_in(READER)
    reference = _left_for_a_job(client, console)
    with client.session_transaction() as session:
        session[TOKENS_KEY] = {**session[TOKENS_KEY], "access_expires_at": 1}
        spent = session[TOKENS_KEY]["refresh_token"]
    tokens = job_session.borrow(console, reference).tokens
    start = threading.Barrier(THREADS)
    totals: list[Any] = []
    failures: list[BaseException] = []

    def read() -> None:
        with console.app_context():
            start.wait()
            try:
                totals.append(cms().cardholders.list(tokens, PARTNER_A, page=1, limit=1).total)
            except BaseException as exc:  # reported below, with the thread's error
                failures.append(exc)

    threads = [threading.Thread(target=read) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    assert len(totals) == THREADS
    assert len(clean_faults.calls(REFRESH)) == 1
    with client.session_transaction() as session:
        assert session[TOKENS_KEY]["refresh_token"] != spent  # the rotation is the operator's too
    assert client.get(f"/p/{PARTNER_A}/cardholders/").status_code == 200


def test_the_reference_is_released_when_the_job_ends_and_kept_when_another_attempt_took_it(
    auth: Auth, console: Flask
) -> None:
    client, _ = auth.sign_in(READER)
    reference = _left_for_a_job(client, console)
    with pytest.raises(JobLost), job_session.kept_until_the_end(console, reference):
        raise JobLost(1)
    assert job_session.borrow(console, reference).tokens.load() is not None  # the next attempt needs it
    with pytest.raises(JobFailed), job_session.kept_until_the_end(console, reference):
        raise JobFailed("a reason")
    with pytest.raises(SessionEnded):
        job_session.borrow(console, reference)

    done = _left_for_a_job(client, console)  # asked again: left again
    assert job_session.borrow(console, done).tokens.load() is not None
    with job_session.kept_until_the_end(console, done):
        pass
    with pytest.raises(SessionEnded):
        job_session.borrow(console, done)


def test_a_signed_out_session_is_refused_to_the_job(auth: Auth, console: Flask) -> None:
    client, _ = auth.sign_in(READER)
    reference = _left_for_a_job(client, console)
    tokens = job_session.borrow(console, reference).tokens
    assert tokens.load() is not None
    assert auth.sign_out(client).status_code in (302, 303)
    with pytest.raises(SessionEnded):
        job_session.borrow(console, reference)
    with tokens.lock():  # under the refresh lock the record is read afresh: gone
        assert tokens.load() is None


def test_a_rotation_is_written_into_the_record_as_stored_then(auth: Auth, console: Flask) -> None:
    """What the operator's browser wrote into the session after the job borrowed it stays: the job writes its
    pair into the record as stored when it saves, with the revision moved on by one."""
    client, _ = auth.sign_in(READER)
    reference = _left_for_a_job(client, console)
    tokens = job_session.borrow(console, reference).tokens
    held = tokens.load()
    assert held is not None
    with client.session_transaction() as session:  # a page of the operator's, meanwhile
        session["written_meanwhile"] = "kept"
        revision = int(session.get(TOKENS_KEY + REVISION_SUFFIX, 0))
    rotated = replace(held, access_token=held.access_token + ".rotated")
    with tokens.lock():
        tokens.save(rotated)
    with client.session_transaction() as session:
        assert session["written_meanwhile"] == "kept"
        assert session[TOKENS_KEY]["access_token"] == rotated.access_token
        assert int(session[TOKENS_KEY + REVISION_SUFFIX]) == revision + 1
    assert tokens.load() == rotated
