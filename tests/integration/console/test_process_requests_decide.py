"""Approve, reject and cancel through the console: four eyes (console and sandbox), once, audited."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.integration.console.test_auth_login import PARTNER_A, csrf_from
from tests.integration.console.test_process_requests_create import (
    CHECKER,
    MAKER,
    LoseAnswers,
    request_top_up,
)
from tests.support.auth import Auth
from tests.support.console import STEP_UP_FOR_AN_HOUR, make_console
from tests.support.sandbox import SandboxHandle

_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]*)"')
_BALANCE = re.compile(r'data-testid="balance-figure">([^<]+)<')


pytestmark = pytest.mark.console(
    LOGIN_RATE_LIMIT="100 per minute",
    OTP_RATE_LIMIT="100 per minute",
    **STEP_UP_FOR_AN_HOUR,
)


def decision_route(request_id: int, action: str) -> str:
    return f"POST /app/partners/{PARTNER_A}/process-requests/{request_id}/{action}"


def confirm(client: FlaskClient, request_id: int, action: str, reason: str = "") -> TestResponse:
    url = f"/p/{PARTNER_A}/top-ups/{request_id}/{action}"
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    key = _KEY.search(html)
    assert key
    return client.post(
        url, data={"csrf_token": csrf_from(html), "submission_key": key.group(1), "reason": reason}
    )


def balance_of(client: FlaskClient) -> Decimal:
    html = client.get(f"/p/{PARTNER_A}/top-ups/").get_data(as_text=True)
    found = _BALANCE.search(html)
    assert found, "no balance on the list page"
    return Decimal(found.group(1).replace("GTQ", "").replace(",", "").strip())


def test_another_operator_approves_and_the_balance_grows(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    maker, _ = auth.sign_in(MAKER, step_up=True)
    checker, checker_email = auth.sign_in(CHECKER, step_up=True)
    request_id = request_top_up(maker, "1,000.50")
    before = balance_of(checker)
    page = checker.get(f"/p/{PARTNER_A}/top-ups/{request_id}/approve").get_data(as_text=True)
    assert "Approving credits 1,000.50 GTQ" in page
    done = confirm(checker, request_id, "approve", reason="Transfer seen in the bank")
    assert done.status_code == 303
    detail = checker.get(done.headers["Location"]).get_data(as_text=True)
    assert "approved. The available balance is now" in detail
    assert balance_of(checker) == before + Decimal("1000.50")
    assert len(clean_faults.calls(decision_route(request_id, "approve"))) == 1
    with console.app_context():
        from webapp.store.audit import recent_events

        events = recent_events(partner_id=PARTNER_A, target=f"process_request:{request_id}")
    assert ("process_request_approve", "success", checker_email) in {
        (e.action, e.outcome, e.actor_email) for e in events
    }


def test_approving_twice_credits_once(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    maker, _ = auth.sign_in(MAKER, step_up=True)
    checker, _ = auth.sign_in(CHECKER, step_up=True)
    request_id = request_top_up(maker, "5")
    url = f"/p/{PARTNER_A}/top-ups/{request_id}/approve"
    html = checker.get(url).get_data(as_text=True)
    form = {"csrf_token": csrf_from(html), "submission_key": _KEY.search(html).group(1)}  # type: ignore[union-attr]
    first = checker.post(url, data=form)
    second = checker.post(url, data=form)  # double click
    assert first.status_code == second.status_code == 303
    assert len(clean_faults.calls(decision_route(request_id, "approve"))) == 1
    assert "This request is already approved." in checker.get(second.headers["Location"]).get_data(
        as_text=True
    )


def test_the_console_refuses_the_requester_without_asking_the_cms(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    both, _ = auth.sign_in(sorted(set(MAKER) | set(CHECKER)), step_up=True)
    request_id = request_top_up(both, "12")
    detail = both.get(f"/p/{PARTNER_A}/top-ups/{request_id}").get_data(as_text=True)
    assert 'data-testid="own-request"' in detail
    assert 'data-testid="approve"' not in detail
    url = f"/p/{PARTNER_A}/top-ups/{request_id}/approve"
    page = both.get(url)
    assert page.status_code == 403
    assert "You cannot approve or reject a request you sent yourself." in page.get_data(as_text=True)
    forced = both.post(url, data={"csrf_token": csrf_from(detail), "reason": "mine"})
    assert forced.status_code == 403
    assert clean_faults.calls(decision_route(request_id, "approve")) == []
    with console.app_context():
        from webapp.store.audit import recent_events

        events = recent_events(partner_id=PARTNER_A, target=f"process_request:{request_id}")
    assert {(e.action, e.outcome) for e in events} >= {("process_request_approve", "denied")}


def test_the_cms_refusal_of_a_self_approval_is_explained(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    """The sandbox's own 8019 (its four-eyes rule) reaches the operator as the same clear refusal."""
    maker, _ = auth.sign_in(MAKER, step_up=True)
    checker, _ = auth.sign_in(CHECKER, step_up=True)
    request_id = request_top_up(maker, "13")
    clean_faults.set_fault(
        decision_route(request_id, "approve"),
        "status",
        status=403,
        code="8019",
        message="You cannot decide your own process request.",
        times=1,
    )
    refused = confirm(checker, request_id, "approve")
    assert refused.status_code == 403
    assert "You cannot approve or reject a request you sent yourself." in refused.get_data(as_text=True)
    assert "pending" in checker.get(f"/p/{PARTNER_A}/top-ups/{request_id}").get_data(as_text=True).lower()
    with console.app_context():
        from webapp.store.audit import recent_events

        events = recent_events(partner_id=PARTNER_A, target=f"process_request:{request_id}")
    # The CMS's refusal of the write, then the four-eyes denial it stands for.
    assert [(e.action, e.outcome, (e.detail or {}).get("refusedBy")) for e in reversed(events)][-2:] == [
        ("process_request_approve", "refused", None),
        ("process_request_approve", "denied", "cms"),
    ]


def test_reject_needs_a_reason_and_leaves_the_balance(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    maker, _ = auth.sign_in(MAKER, step_up=True)
    checker, _ = auth.sign_in(CHECKER, step_up=True)
    request_id = request_top_up(maker, "77")
    before = balance_of(checker)
    missing = confirm(checker, request_id, "reject")
    assert missing.status_code == 422
    assert "Say why the request is rejected." in missing.get_data(as_text=True)
    assert clean_faults.calls(decision_route(request_id, "reject")) == []
    done = confirm(checker, request_id, "reject", reason="No matching transfer")
    assert done.status_code == 303
    detail = checker.get(done.headers["Location"]).get_data(as_text=True)
    assert "No matching transfer" in detail
    assert "Rejected" in detail
    assert balance_of(checker) == before


def test_the_requester_may_cancel(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    maker, _ = auth.sign_in(MAKER, step_up=True)
    request_id = request_top_up(maker, "8")
    done = confirm(maker, request_id, "cancel", reason="Typed the wrong amount")
    assert done.status_code == 303
    detail = maker.get(done.headers["Location"]).get_data(as_text=True)
    assert "Cancelled" in detail
    assert 'data-testid="decision-actions"' not in detail


def test_approving_without_the_permission_is_refused(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    maker, _ = auth.sign_in(MAKER, step_up=True)
    request_id = request_top_up(maker, "9")
    viewer, _ = auth.sign_in(["balance-management:list"], step_up=True)
    assert viewer.get(f"/p/{PARTNER_A}/top-ups/{request_id}/approve").status_code == 403


def test_a_lost_approval_answer_never_credits_twice(
    sandbox: SandboxHandle, tmp_path: Path, clean_faults: SandboxHandle
) -> None:
    transport = LoseAnswers()
    app = make_console(
        sandbox, tmp_path, LOGIN_RATE_LIMIT="100 per minute", CMS_TRANSPORT=transport, **STEP_UP_FOR_AN_HOUR
    )
    maker, _ = Auth(app, sandbox).sign_in(MAKER, step_up=True)
    checker, _ = Auth(app, sandbox).sign_in(CHECKER, step_up=True)
    request_id = request_top_up(maker, "21.10")
    before = balance_of(checker)
    url = f"/p/{PARTNER_A}/top-ups/{request_id}/approve"
    html = checker.get(url).get_data(as_text=True)
    form = {"csrf_token": csrf_from(html), "submission_key": _KEY.search(html).group(1)}  # type: ignore[union-attr]
    transport.arm("POST", f"/app/partners/{PARTNER_A}/process-requests/{request_id}/approve")
    lost = checker.post(url, data=form)
    assert lost.status_code == 504
    assert "Outcome unknown — check the list before retrying." in lost.get_data(as_text=True)
    retry = checker.post(url, data=form)
    assert retry.status_code == 303
    assert balance_of(checker) == before + Decimal("21.10")


def test_a_decision_key_already_being_sent_sends_nothing_and_gets_a_new_key(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    maker, _ = auth.sign_in(MAKER, step_up=True)
    checker, _ = auth.sign_in(CHECKER, step_up=True)
    request_id = request_top_up(maker, "14")
    url = f"/p/{PARTNER_A}/top-ups/{request_id}/approve"
    html = checker.get(url).get_data(as_text=True)
    form = {"csrf_token": csrf_from(html), "submission_key": _KEY.search(html).group(1)}  # type: ignore[union-attr]
    with console.app_context():
        from webapp.store import submissions

        submissions.claim(
            form["submission_key"], kind="process_request_approve", actor_id=-1, partner_id=PARTNER_A
        )
    busy = checker.post(url, data=form)
    assert busy.status_code == 409
    page = busy.get_data(as_text=True)
    assert "This decision is already being sent. Reload the request before trying again." in page
    assert clean_faults.calls(decision_route(request_id, "approve")) == []
    fresh = _KEY.search(page)
    assert fresh
    assert fresh.group(1) != form["submission_key"]
    done = checker.post(url, data={**form, "submission_key": fresh.group(1)})
    assert done.status_code == 303
