"""The one write path: each outcome, the key's state after it, and the audit event it leaves."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask_login import login_user
from sqlalchemy import select

from webapp import fanout
from webapp.access import Operator
from webapp.cms import errors
from webapp.store import current_store, submissions
from webapp.store.models import AuditEvent
from webapp.submit_once import (
    AlreadyDone,
    Created,
    InFlight,
    Refused,
    Unknown,
    Write,
    outcome_unknown,
    submit_once,
)

OPERATOR = Operator(id=7, email="op@demo.migo", name="Op", is_admin=False, otp_elevation=False, partners=())
OTHER = Operator(id=8, email="o@demo.migo", name="Other", is_admin=False, otp_elevation=False, partners=())


@pytest.fixture
def signed_in(bare_app: Flask) -> Iterator[Flask]:
    with bare_app.test_request_context("/"):
        login_user(OPERATOR)
        yield bare_app


def _events() -> list[tuple[str, str, str | None]]:
    with current_store().session() as db:
        rows = db.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
        return [(row.action, row.outcome, row.target) for row in rows]


def _write(send: Callable[[], Any]) -> Write[Any]:
    return Write(event="thing_create", partner_id=3, send=send, ref=lambda value: f"thing:{value}")


def _fail(exc: errors.CmsError) -> Callable[[], Any]:
    def send() -> Any:
        raise exc

    return send


def test_created_then_already_done(signed_in: Flask) -> None:
    key = submissions.new_key()
    calls: list[int] = []

    def send() -> int:
        calls.append(1)
        return 42

    first = submit_once(_write(send), key)
    assert first == Created(42, "thing:42")
    again = submit_once(_write(send), key)
    assert again == AlreadyDone("thing:42")
    assert calls == [1]
    assert _events() == [("thing_create", "success", "thing:42")]


def test_refused_releases_the_key_and_records_a_refusal(signed_in: Flask) -> None:
    key = submissions.new_key()
    refusal = errors.ValidationFailed("bad", status=400)
    outcome = submit_once(_write(_fail(refusal)), key)
    assert outcome == Refused(refusal)
    assert _events() == [("thing_create", "refused", None)]
    assert submit_once(_write(lambda: 5), key) == Created(5, "thing:5")  # the corrected form goes through


@pytest.mark.parametrize(
    "failure",
    [
        errors.UpstreamTimeout("lost"),
        errors.ServerError("boom", status=500),
        errors.BadUpstreamResponse("garbled", status=200, outcome_unknown=True),
    ],
)
def test_a_lost_answer_is_unknown_and_keeps_the_key(signed_in: Flask, failure: errors.CmsError) -> None:
    key = submissions.new_key()
    assert submit_once(_write(_fail(failure)), key) == Unknown(failure)
    assert _events() == [("thing_create", "unknown", None)]
    # A deliberate retry replays under the same key (the claim of an unknown key is allowed once more).
    assert submit_once(_write(lambda: 9), key) == Created(9, "thing:9")


def test_a_503_is_refused_not_unknown() -> None:
    assert not outcome_unknown(errors.ServerError("busy", status=503))
    assert not outcome_unknown(errors.CircuitOpen("open"))
    assert outcome_unknown(errors.ServerError("bad gateway", status=502, outcome_unknown=True))


def test_in_flight_and_foreign_keys(signed_in: Flask) -> None:
    key = submissions.new_key()
    assert submissions.claim(key, kind="thing_create", actor_id=OPERATOR.id, partner_id=3) is None
    assert submit_once(_write(lambda: 1), key) == InFlight(foreign=False)
    login_user(OTHER)
    assert submit_once(_write(lambda: 1), key) == InFlight(foreign=True)
    assert _events() == []


def test_session_end_releases_the_key_and_is_raised(signed_in: Flask) -> None:
    key = submissions.new_key()
    with pytest.raises(errors.SessionEnded):
        submit_once(_write(_fail(errors.SessionEnded("gone", status=401))), key)
    assert submit_once(_write(lambda: 3), key) == Created(3, "thing:3")


def test_without_a_key_nothing_is_claimed(signed_in: Flask) -> None:
    write = Write(
        event="thing_update",
        partner_id=3,
        send=lambda: {"ok": True},
        target="thing:1",
        detail={"fields": ["name"]},
        success_detail=lambda value: {"after": value},
    )
    assert isinstance(submit_once(write), Created)
    assert isinstance(submit_once(write), Created)
    assert _events() == [("thing_update", "success", "thing:1")] * 2


def test_fanout_bounds_each_call_and_reports_each_failure() -> None:
    running, peak, lock = 0, 0, threading.Lock()
    gate = threading.Barrier(3, timeout=5)

    def job(number: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        if number < 3:
            gate.wait()  # the first three meet: proof that three run at once
        with lock:
            running -= 1
        if number == 5:
            raise ValueError("five")
        return number * 2

    settled = fanout.settle({n: (lambda n=n: job(n)) for n in range(8)}, per_call=3)
    assert peak <= 3
    assert settled[4].value == 8
    assert isinstance(settled[5].error, ValueError)
    with pytest.raises(ValueError, match="five"):
        fanout.gather({n: (lambda n=n: job(n + 3)) for n in range(3)}, per_call=3)
