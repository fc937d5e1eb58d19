"""Fault plan through the console for forms (the cardholder create form): the operator's input survives
every fault, nothing is created twice, a POST is never repeated by the client, and an ended upstream session
brings the operator back to their draft after signing in again.
"""

from __future__ import annotations

import logging
import random
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.console.test_auth_login import PARTNER_A, csrf_from, new_operator, sign_in
from tests.integration.console.test_faults_pages import (
    LIST,
    MAKER,
    REFRESH_ROUTE,
    REQUEST_ID,
    attempts,
    console,  # noqa: F401 - fixture
    fault_home,  # noqa: F401 - fixture
    faults,  # noqa: F401 - fixture
    html,
    maker,  # noqa: F401 - fixture
    node,
    same_browser,
)
from tests.support.sandbox import SandboxHandle

NEW = f"{LIST}new"
CREATE_ROUTE = f"POST /app/partners/{PARTNER_A}/cardholders"
CREATE_TEMPLATE = "/app/partners/{partnerId}/cardholders"
HTMX = {"HX-Request": "true"}


def person(card_id: str) -> dict[str, str]:
    rng = random.Random()
    return {
        "name": "Marta",
        "lastName": "Quiñónez Ruiz",
        "address": "7a Calle 3-15, Zona 10",
        "countryOfBirth": "gt",
        "dateOfBirth": "1988-02-29",
        "maritalStatus": "soltero",
        "gender": "F",
        "phoneNumber": "+502 5" + "".join(rng.choice("0123456789") for _ in range(7)),
        "email": f"marta.{uuid.uuid4().hex[:10]}@example.com",
        "documentType": "DPI",
        "documentNumber": "".join(rng.choice("0123456789") for _ in range(13)),
        "cardId": card_id,
    }


def open_form(client: FlaskClient) -> dict[str, str]:
    """A fresh create form: its hidden fields plus a new person on one of the offered free cards."""
    page = html(client.get(NEW))
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page)
    assert key, "no idempotency key on the form"
    cards = re.findall(r'<option value="(\d+)">', page)
    assert cards, "no free card offered"
    hidden = {"csrf_token": csrf_from(page), "idempotency_key": key.group(1)}
    return {**hidden, **person(random.choice(cards))}


def assert_input_kept(body: str, form: dict[str, str]) -> None:
    for name in ("name", "lastName", "address", "email", "idempotency_key"):
        assert f'value="{form[name]}"' in body.replace("&#39;", "'"), name


def creates(board: SandboxHandle, key: str) -> int:
    """Creations the sandbox really performed for this key (canned fault answers excluded)."""
    return sum(
        1
        for call in board.calls(CREATE_ROUTE)
        if call["idempotencyKey"] == key and call["fault"] is None and call["status"] < 300
    )


def sent(board: SandboxHandle, key: str) -> int:
    """Create calls that reached the sandbox with this key (an earlier test's late call has another key: the
    F3 delay test's call is recorded once its 1.5 s delay ends, after that test has finished)."""
    return sum(1 for call in board.calls(CREATE_ROUTE) if call["idempotencyKey"] == key)


# -- faults that leave the outcome unknown: form kept, same key, retry never duplicates -------------------


@pytest.mark.parametrize(
    ("mode", "params"),
    [
        ("status", {"status": 500}),  # F6
        ("html", {}),  # F15: a proxy's error page
        ("badjson", {}),  # F15
        ("empty", {}),  # F15
        ("success_false", {}),  # F15
        ("reset", {}),  # F16
    ],
)
def test_unknown_outcome_keeps_the_input_and_the_retry_creates_once(
    maker: FlaskClient,  # noqa: F811
    faults: SandboxHandle,  # noqa: F811
    mode: str,
    params: dict[str, Any],
) -> None:
    form = open_form(maker)
    faults.set_fault(CREATE_ROUTE, mode, times=1, **params)
    broken = maker.post(NEW, data=form, headers=HTMX)
    assert broken.status_code == 422  # the form kept, which htmx swaps in place like a 200 (webapp/htmx.py)
    body = html(broken)
    assert 'data-testid="outcome-unknown"' in body
    assert_input_kept(body, form)
    assert len(faults.calls(CREATE_ROUTE)) <= 1  # never repeated by the client (a reset is not recorded)

    retried = maker.post(NEW, data=form, headers=HTMX)
    assert retried.status_code == 200
    assert "/cardholders/" in retried.headers["HX-Redirect"]
    again = maker.post(NEW, data=form, headers=HTMX)  # a double click after success
    assert again.headers["HX-Redirect"] == retried.headers["HX-Redirect"]
    assert creates(faults, form["idempotency_key"]) == 1


def test_f3_read_timeout_on_create_is_sent_once_and_says_check_the_list(
    maker: FlaskClient,  # noqa: F811
    faults: SandboxHandle,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    form = open_form(maker)
    faults.set_fault(CREATE_ROUTE, "delay", ms=1500, times=1)
    with caplog.at_level(logging.INFO, logger="webapp.cms"):
        slow = maker.post(NEW, data=form)
    assert slow.status_code == 422
    body = html(slow)
    assert "Outcome unknown — check the list before retrying." in body
    assert_input_kept(body, form)
    assert attempts(caplog, CREATE_TEMPLATE) == [1]
    # The sandbox finishes the delayed create after the console gave up on it. Wait for that (polling the
    # sandbox's call log against a deadline) so its card is taken before the next test picks a free one.
    deadline = time.monotonic() + 10
    while sent(faults, form["idempotency_key"]) == 0:
        assert time.monotonic() < deadline, "the delayed create never landed"
    assert sent(faults, form["idempotency_key"]) == 1


def test_f7_unavailable_create_is_not_retried_and_the_same_form_submits_again(
    maker: FlaskClient,  # noqa: F811
    faults: SandboxHandle,  # noqa: F811
) -> None:
    """A 503 says the CMS did nothing (only a 500, a gateway answer or a lost one leaves the outcome unknown:
    webapp/submit_once.py `outcome_unknown`): the error goes to #flash, the key is free again."""
    form = open_form(maker)
    faults.set_fault(CREATE_ROUTE, "status", status=503, times=1)
    down = maker.post(NEW, data=form, headers=HTMX)
    assert down.status_code == 502
    assert down.headers["HX-Retarget"] == "#flash"
    assert sent(faults, form["idempotency_key"]) == 1  # a POST is not retried
    done = maker.post(NEW, data=form, headers=HTMX)
    assert "/cardholders/" in done.headers["HX-Redirect"]
    assert sent(faults, form["idempotency_key"]) == 2
    assert creates(faults, form["idempotency_key"]) == 1


def test_f8_rate_limited_create_is_not_retried_and_keeps_the_form_on_screen(
    maker: FlaskClient,  # noqa: F811
    faults: SandboxHandle,  # noqa: F811
) -> None:
    """A 429 is an outright refusal (nothing created): the banner goes to #flash, the form stays put."""
    form = open_form(maker)
    faults.set_fault(CREATE_ROUTE, "retry_after", status=429, value="1", times=1)
    busy = maker.post(NEW, data=form, headers=HTMX)
    assert busy.status_code == 429
    assert busy.headers["HX-Retarget"] == "#flash"
    assert busy.headers["Retry-After"] == "1"
    assert REQUEST_ID.search(html(busy))
    assert sent(faults, form["idempotency_key"]) == 1
    done = maker.post(NEW, data=form, headers=HTMX)  # the same key may be sent again: nothing was created
    assert "/cardholders/" in done.headers["HX-Redirect"]
    assert sent(faults, form["idempotency_key"]) == 2
    assert creates(faults, form["idempotency_key"]) == 1


def test_f1_unreachable_upstream_on_submit_keeps_the_form_on_screen(
    console: Flask,  # noqa: F811
    maker: FlaskClient,  # noqa: F811
    sandbox: SandboxHandle,
    fault_home: Path,  # noqa: F811
) -> None:
    form = open_form(maker)
    dead = node(sandbox, console, fault_home, CMS_BASE_URL="http://127.0.0.1:9/cms/rest")
    answer = same_browser(dead, maker).post(NEW, data=form, headers=HTMX)
    assert answer.status_code == 503
    assert answer.headers["HX-Retarget"] == "#flash"
    assert "The CMS cannot be reached right now." in html(answer)
    # The key was released: the same form submits fine once the CMS is back.
    done = maker.post(NEW, data=form, headers=HTMX)
    assert "/cardholders/" in done.headers["HX-Redirect"]


def test_f22_double_submit_creates_once(maker: FlaskClient, faults: SandboxHandle) -> None:  # noqa: F811
    form = open_form(maker)
    first = maker.post(NEW, data=form)
    second = maker.post(NEW, data=form)
    assert first.status_code == 303
    assert second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert creates(faults, form["idempotency_key"]) == 1


# -- F10: the upstream session cannot continue (refresh token reused) --------------------------------------


def test_f10_refresh_token_reuse_signs_out_and_the_draft_comes_back(
    console: Flask,  # noqa: F811
    sandbox: SandboxHandle,
    faults: SandboxHandle,  # noqa: F811
) -> None:
    client = console.test_client()
    email, password = new_operator(sandbox, permissions={PARTNER_A: MAKER})
    sign_in(client, sandbox, email, password)
    form = open_form(client)
    # Refused before and after the app token's renewal; then the user-token refresh is refused too.
    faults.set_fault(CREATE_ROUTE, "token_expired", times=2)
    faults.set_fault(REFRESH_ROUTE, "status", status=401, code="8009", message="Refresh token already used.")
    ended = client.post(NEW, data=form)
    assert ended.status_code in (302, 303)
    assert "/auth/login" in ended.headers["Location"]
    assert len(faults.calls(REFRESH_ROUTE)) == 1  # one refresh attempt, no loop
    # Sent twice, refused at the door both times, and not again after the refused refresh (counted by this
    # form's key: the call log is shared by the run).
    sent = [call for call in faults.calls(CREATE_ROUTE) if call["idempotencyKey"] == form["idempotency_key"]]
    assert len(sent) == 2
    assert client.get(LIST).status_code in (302, 303)  # the local session is gone

    faults.clear_faults()
    back = sign_in(client, sandbox, email, password, next_path=NEW)
    assert back.headers["Location"] == NEW
    restored = html(client.get(NEW))
    for name in ("name", "lastName", "address", "email"):
        assert f'value="{form[name]}"' in restored.replace("&#39;", "'"), name
    assert form["documentNumber"] in restored  # a non-secret field: kept (it is the operator's own input)
