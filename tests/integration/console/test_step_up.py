"""Step-up against the sandbox: how fresh a code must be (`STEP_UP_MAX_AGE`, the sign-in code never counts),
each sensitive flow asking for one by default, and the limits on sending and guessing codes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.integration.console.test_auth_login import PARTNER_A, csrf_from
from tests.integration.console.test_cardholders_detail import REVEALER, drop_elevation, send_code
from tests.integration.console.test_cardholders_list import csrf_of, html_of, seeded_cardholder
from tests.integration.console.test_process_requests_create import (
    CHECKER,
    CREATE_ROUTE,
    MAKER,
    open_form,
    post_top_up,
)
from tests.integration.console.test_uploads_flow import (
    PARTNER,
    UPLOADER,
    csv_file,
    detail_url,
    free_cards,
    person,
    post_file,
    upload_id_of,
)
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle

VERIFY_ROUTE = "PUT /app/users/auth/otp"
NEEDS_CODE = "This action needs a fresh code"
GENEROUS = {"LOGIN_RATE_LIMIT": "100 per minute", "OTP_RATE_LIMIT": "100 per minute"}


pytestmark = pytest.mark.console(**GENEROUS)


def reveal_url(person: dict[str, Any]) -> str:
    return f"/p/{PARTNER_A}/cardholders/{person['cardholderId']}/reveal"


def reveal(
    client: FlaskClient, person: dict[str, Any], otp: str | None = None, **headers: str
) -> TestResponse:
    token = csrf_of(client, f"/p/{PARTNER_A}/cardholders/{person['cardholderId']}")
    data = {"csrf_token": token, **({"otp": otp} if otp is not None else {})}
    return client.post(reveal_url(person), data=data, headers={"HX-Request": "true", **headers})


def code_for(client: FlaskClient, sandbox: SandboxHandle, email: str) -> str:
    return send_code(client, sandbox, email, csrf_of(client, f"/p/{PARTNER_A}/cardholders/"))


def set_last_step_up(client: FlaskClient, seconds_ago: float) -> None:
    """Move the console's record of the last step-up into the past (the upstream's clock is left alone)."""
    with client.session_transaction() as stored:
        stored["step_up_at"] = time.time() - seconds_ago


# -- how fresh ----------------------------------------------------------------------------------------------


@pytest.mark.console(STEP_UP_MAX_AGE=3600)
def test_the_sign_in_code_is_not_a_step_up(sandbox: SandboxHandle, auth: Auth) -> None:
    """Right after sign-in the upstream token is still elevated by the sign-in code; the console asks anyway,
    whatever STEP_UP_MAX_AGE says."""
    person = seeded_cardholder(sandbox)
    client, _email = auth.sign_in(REVEALER)
    detail = html_of(client.get(f"/p/{PARTNER_A}/cardholders/{person['cardholderId']}"))
    assert 'data-testid="step-up"' in detail
    refused = reveal(client, person)
    assert NEEDS_CODE in html_of(refused)
    assert person["documentNumber"] not in html_of(refused)


def test_by_default_every_sensitive_action_asks_for_its_own_code(
    sandbox: SandboxHandle, auth: Auth
) -> None:
    person = seeded_cardholder(sandbox)
    client, email = auth.sign_in(REVEALER)
    shown = reveal(client, person, code_for(client, sandbox, email))
    assert person["documentNumber"] in html_of(shown)
    # The upstream elevation from that code still runs, but the console's policy is "every time".
    again = reveal(client, person)
    assert NEEDS_CODE in html_of(again)
    assert person["documentNumber"] not in html_of(again)


@pytest.mark.console(STEP_UP_MAX_AGE=600)
def test_a_console_step_up_counts_for_step_up_max_age_and_no_longer(
    sandbox: SandboxHandle, auth: Auth, clean_faults: SandboxHandle
) -> None:
    person = seeded_cardholder(sandbox)
    client, email = auth.sign_in(REVEALER)
    assert person["documentNumber"] in html_of(reveal(client, person, code_for(client, sandbox, email)))
    verified = len(clean_faults.calls(VERIFY_ROUTE))
    within = reveal(client, person)
    assert person["documentNumber"] in html_of(within)  # no code within the window
    assert len(clean_faults.calls(VERIFY_ROUTE)) == verified
    set_last_step_up(client, 601)
    lapsed = reveal(client, person)
    assert NEEDS_CODE in html_of(lapsed)
    assert person["documentNumber"] not in html_of(lapsed)


@pytest.mark.console(STEP_UP_MAX_AGE=3600)
def test_a_lapsed_upstream_elevation_asks_even_within_step_up_max_age(
    sandbox: SandboxHandle, auth: Auth
) -> None:
    person = seeded_cardholder(sandbox)
    client, email = auth.sign_in(REVEALER)
    assert person["documentNumber"] in html_of(reveal(client, person, code_for(client, sandbox, email)))
    drop_elevation(client)  # the CMS's elevation is over; the console's step-up is a minute old
    refused = reveal(client, person)
    assert NEEDS_CODE in html_of(refused)
    assert person["documentNumber"] not in html_of(refused)


class MaskedUnlessInline(httpx.HTTPTransport):
    """A CMS that keeps personal data masked for an elevated token and shows it only with a code sent with the
    read itself (the case the reveal's inline code exists for)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        is_detail = request.method == "POST" and re.search(r"/cardholders/\d+$", request.url.path)
        if not is_detail or "otp" in json.loads(request.content or b"{}"):
            return response
        body = json.loads(response.read())
        if isinstance(body.get("data"), dict):
            body["data"].update(piiMasked=True, documentNumber="•••••••••1234", email=None, phoneNumber=None)
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in {"content-length", "content-encoding"}
        }
        return httpx.Response(response.status_code, headers=headers, json=body)


def test_a_cms_that_wants_the_code_with_the_read_gets_the_next_code_inline(
    sandbox: SandboxHandle, make_app: Callable[..., Flask], clean_faults: SandboxHandle
) -> None:
    """Every reveal asks for a code, and this CMS still masks after the step-up: the next code goes with the
    read itself (not traded for elevation again, which would ask forever), and counts as the step-up."""
    app = make_app(**GENEROUS, CMS_TRANSPORT=MaskedUnlessInline())
    person = seeded_cardholder(sandbox)
    client, email = Auth(app, sandbox).sign_in(REVEALER)
    masked = reveal(client, person, code_for(client, sandbox, email))
    assert "The CMS asks for a fresh code to show this data" in html_of(masked)
    assert person["documentNumber"] not in html_of(masked)
    verified = len(clean_faults.calls(VERIFY_ROUTE))
    shown = reveal(client, person, code_for(client, sandbox, email))
    assert person["documentNumber"] in html_of(shown)
    assert len(clean_faults.calls(VERIFY_ROUTE)) == verified  # the code went with the read
    again = reveal(client, person)  # the next reveal asks again, as every sensitive action does
    assert NEEDS_CODE in html_of(again)


# -- every sensitive flow asks (the others are in their own modules: cardholder reveal and close, CMS users,
#    the permission editor) ----------------------------------------------------------------------------------


def test_a_top_up_request_and_its_approval_each_ask_for_a_code(
    sandbox: SandboxHandle, auth: Auth, clean_faults: SandboxHandle
) -> None:
    maker, maker_email = auth.sign_in(MAKER)
    state = open_form(maker)
    refused = post_top_up(maker, state, "25.00")
    assert refused.status_code == 422
    assert NEEDS_CODE in html_of(refused)
    assert clean_faults.calls(CREATE_ROUTE) == []
    state = open_form(maker)
    sent = post_top_up(
        maker, {**state, "otp": send_code(maker, sandbox, maker_email, state["csrf_token"])}, "25.00"
    )
    assert sent.status_code == 303, html_of(sent)
    request_id = int(sent.headers["Location"].rsplit("/", 1)[1])

    checker, checker_email = auth.sign_in(CHECKER)
    url = f"/p/{PARTNER_A}/top-ups/{request_id}/approve"
    page = html_of(checker.get(url))
    assert 'data-testid="step-up"' in page
    key = page.split('name="submission_key" type="hidden" value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": csrf_from(page), "submission_key": key, "reason": "Seen in the bank"}
    decision = f"POST /app/partners/{PARTNER_A}/process-requests/{request_id}/approve"
    no_code = checker.post(url, data=form)
    assert no_code.status_code == 422
    assert NEEDS_CODE in html_of(no_code)
    assert clean_faults.calls(decision) == []
    approved = checker.post(
        url, data={**form, "otp": send_code(checker, sandbox, checker_email, form["csrf_token"])}
    )
    assert approved.status_code == 303, html_of(approved)
    assert len(clean_faults.calls(decision)) == 1


def test_a_bulk_send_asks_for_a_code(
    sandbox: SandboxHandle, auth: Auth, clean_faults: SandboxHandle
) -> None:
    client, email = auth.sign_in(UPLOADER, partners=(PARTNER,))
    upload_id = upload_id_of(post_file(client, csv_file([person(0, free_cards(sandbox, 1)[0])])))
    page = html_of(client.get(detail_url(upload_id)))
    assert 'data-testid="step-up"' in page
    form = {"csrf_token": csrf_from(page), "policy": "valid_only"}
    refused = client.post(f"{detail_url(upload_id)}/submit", data=form)
    assert refused.status_code == 422
    assert NEEDS_CODE in html_of(refused)
    route = f"POST /app/partners/{PARTNER}/cardholders/upload"
    assert clean_faults.calls(route) == []
    code = send_code(client, sandbox, email, form["csrf_token"])
    sent = client.post(f"{detail_url(upload_id)}/submit", data={**form, "otp": code})
    assert sent.status_code == 303, html_of(sent)
    again = client.post(f"{detail_url(upload_id)}/submit", data={**form, "otp": code})
    assert again.status_code == 303  # a double click needs no second code and sends nothing more
    assert len(clean_faults.calls(route)) == 1


# -- rate limits --------------------------------------------------------------------------------------------


def _send(client: FlaskClient) -> TestResponse:
    token = csrf_of(client, f"/p/{PARTNER_A}/cardholders/")
    return client.post("/step-up/code", headers={"X-CSRFToken": token, "HX-Request": "true"})


@pytest.mark.console(STEP_UP_SEND_RATE_LIMIT="2 per minute")
def test_sending_codes_is_limited_per_operator_and_per_ip(sandbox: SandboxHandle, auth: Auth) -> None:
    client, email = auth.sign_in(REVEALER, ip="10.20.0.1")
    assert [_send(client).status_code for _ in range(2)] == [200, 200]
    mails = len(sandbox.mailbox(email))
    third = _send(client)
    assert third.status_code == 429
    assert 1 <= int(third.headers["Retry-After"]) <= 60
    assert third.headers["HX-Retarget"]  # htmx: the message goes to the toast region, the form stays
    assert len(sandbox.mailbox(email)) == mails  # nothing mailed
    client.environ_base["REMOTE_ADDR"] = "10.20.0.2"  # same operator, another address
    assert _send(client).status_code == 429
    other, _ = auth.sign_in(REVEALER, ip="10.20.0.1")  # another operator, same address
    assert _send(other).status_code == 429
    fresh, _ = auth.sign_in(REVEALER, ip="10.20.0.3")
    assert _send(fresh).status_code == 200


@pytest.mark.console(STEP_UP_RATE_LIMIT="3 per minute")
def test_refused_codes_are_counted_across_codes_per_operator_and_per_ip(
    sandbox: SandboxHandle, auth: Auth, clean_faults: SandboxHandle
) -> None:
    person = seeded_cardholder(sandbox)
    client, email = auth.sign_in(REVEALER, ip="10.30.0.1")
    code_for(client, sandbox, email)
    assert all("The code is not valid" in html_of(reveal(client, person, "000000")) for _ in range(2))
    code_for(client, sandbox, email)  # a new code does not reset the count
    assert "The code is not valid" in html_of(reveal(client, person, "000001"))
    verified = len(clean_faults.calls(VERIFY_ROUTE))
    good = code_for(client, sandbox, email)
    blocked = reveal(client, person, good)
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert person["documentNumber"] not in html_of(blocked)
    assert len(clean_faults.calls(VERIFY_ROUTE)) == verified  # not even tried upstream
    token = csrf_of(client, f"/p/{PARTNER_A}/cardholders/")
    page = client.post(reveal_url(person), data={"csrf_token": token, "otp": good})
    assert page.status_code == 429  # the full page too, with the same Retry-After
    assert page.headers["Retry-After"]
    assert 'data-testid="retry-after"' in html_of(page)
    client.environ_base["REMOTE_ADDR"] = "10.30.0.2"  # the operator's count follows them
    assert reveal(client, person, good).status_code == 429
    neighbour, neighbour_email = auth.sign_in(REVEALER, ip="10.30.0.1")  # the address's count
    assert reveal(neighbour, person, code_for(neighbour, sandbox, neighbour_email)).status_code == 429
    elsewhere, elsewhere_email = auth.sign_in(REVEALER, ip="10.30.0.3")
    shown = reveal(elsewhere, person, code_for(elsewhere, sandbox, elsewhere_email))
    assert person["documentNumber"] in html_of(shown)


# -- what the form says: nothing sent yet, a code to enter, a wrong code, an expired code ------------------

NOT_SENT = "No code has been sent yet"
ENTER_SENT = "Enter the code we sent to your email"
WRONG = "The code is not valid: check the six digits"
EXPIRED = "The code has expired. Send a new one."


def test_the_form_says_when_no_code_was_sent_yet(sandbox: SandboxHandle, auth: Auth) -> None:
    person = seeded_cardholder(sandbox)
    client, _email = auth.sign_in(REVEALER)
    empty = html_of(reveal(client, person))
    assert NEEDS_CODE in empty
    assert NOT_SENT in empty
    typed_anyway = html_of(reveal(client, person, "123456"))
    assert NOT_SENT in typed_anyway
    assert WRONG not in typed_anyway
    assert person["documentNumber"] not in typed_anyway


def test_after_sending_an_empty_field_asks_for_that_code_and_a_wrong_one_is_called_wrong(
    sandbox: SandboxHandle, auth: Auth
) -> None:
    person = seeded_cardholder(sandbox)
    client, email = auth.sign_in(REVEALER)
    good = code_for(client, sandbox, email)
    empty = html_of(reveal(client, person))
    assert ENTER_SENT in empty
    assert NOT_SENT not in empty
    wrong = "000000" if good != "000000" else "111111"
    refused = html_of(reveal(client, person, wrong))
    assert WRONG in refused
    assert EXPIRED not in refused
    assert person["documentNumber"] in html_of(reveal(client, person, good))
    # The code is used: the next action starts again from "send one".
    set_last_step_up(client, 3600)
    drop_elevation(client)
    assert NOT_SENT in html_of(reveal(client, person))


def test_an_expired_code_is_called_expired(sandbox: SandboxHandle, auth: Auth) -> None:
    person = seeded_cardholder(sandbox)
    client, email = auth.sign_in(REVEALER)
    before = sandbox.control("GET", "/config")["config"]
    sandbox.set_config(SANDBOX_OTP_TTL=0)  # every code the CMS mails is already stale when it arrives
    try:
        stale = code_for(client, sandbox, email)
        refused = html_of(reveal(client, person, stale))
    finally:
        sandbox.set_config(SANDBOX_OTP_TTL=before["SANDBOX_OTP_TTL"])
    assert EXPIRED in refused
    assert WRONG not in refused
    assert person["documentNumber"] not in refused
