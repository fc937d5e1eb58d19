"""Upstream tokens in the session: single-flight refresh, a refused refresh ending the session with the
operator's form kept as a draft, and the partner switcher."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient
from flask_login import current_user

from tests.integration.console.test_auth_login import (
    PARTNER_A,
    PARTNER_B,
    csrf_from,
    new_operator,
    sign_in,
)
from tests.support.auth import Auth
from tests.support.console import make_console
from tests.support.sandbox import SandboxHandle
from webapp.access import signed_in
from webapp.auth.drafts import pop_draft
from webapp.auth.token_holder import SessionTokenHolder
from webapp.upstream import cms

FORM_PATH = f"/p/{PARTNER_A}/test-form"


def _add_test_form(app: Flask) -> None:
    """A form page standing in for a later domain's form: POST calls upstream, GET pre-fills from a draft."""

    @signed_in
    def test_form(partner_id: int) -> Any:
        if request.method == "POST":
            cms().auth.me(SessionTokenHolder())
            return jsonify({"saved": True})
        return jsonify({"draft": pop_draft(), "operator": current_user.email})

    app.add_url_rule("/p/<int:partner_id>/test-form", "test_form", test_form, methods=["GET", "POST"])

    @signed_in
    def who(partner_id: int) -> Any:
        return jsonify({"email": cms().auth.me(SessionTokenHolder()).email})

    app.add_url_rule("/p/<int:partner_id>/test-who", "test_who", who)


pytestmark = pytest.mark.console(LOGIN_RATE_LIMIT="100 per minute")


@pytest.fixture(autouse=True)
def _test_form(app: Flask) -> None:
    _add_test_form(app)


@pytest.fixture
def operator(sandbox: SandboxHandle) -> tuple[str, str]:
    return new_operator(
        sandbox,
        partners=(PARTNER_A, PARTNER_B),
        permissions={PARTNER_A: ["cardholders:list"], PARTNER_B: ["cardholders:list"]},
    )


@pytest.fixture
def client(console: Flask, sandbox: SandboxHandle, operator: tuple[str, str]) -> FlaskClient:
    client = console.test_client()
    sign_in(client, sandbox, *operator)
    return client


@pytest.fixture
def faults(clean_faults: SandboxHandle) -> SandboxHandle:
    return clean_faults


def _token(client: FlaskClient) -> str:
    return csrf_from(client.get("/auth/partners").get_data(as_text=True))


# -- refresh ---------------------------------------------------------------------------------------


def test_parallel_requests_refresh_once(client: FlaskClient, faults: SandboxHandle) -> None:
    """Five requests hit an expired token at once; single-use refresh tokens allow exactly one rotation."""
    faults.set_fault("GET /app/users/me", "token_expired", times=10)  # before and after the app token renewal
    # A slow refresh keeps every request's two refused calls ahead of the first retry with the rotated pair.
    faults.set_fault("POST /app/users/refresh", "delay", ms=400)
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda _: client.get(f"/p/{PARTNER_A}/test-who").status_code, range(5)))
    assert answers == [200] * 5
    assert len(faults.calls("POST /app/users/refresh")) == 1
    # The rotated pair was kept: the next call works without another refresh.
    assert client.get(f"/p/{PARTNER_A}/test-who").status_code == 200
    assert len(faults.calls("POST /app/users/refresh")) == 1


def test_a_second_console_node_sees_the_rotation(
    console: Flask, client: FlaskClient, faults: SandboxHandle, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """Node B shares the session store: after A rotates the tokens, B uses the new pair (no reuse)."""
    node_b = make_console(sandbox, tmp_path, SECRET_KEY=console.config["SECRET_KEY"])
    _add_test_form(node_b)
    cookie_name = console.config["SESSION_COOKIE_NAME"]
    browser_b = node_b.test_client()
    browser_b.set_cookie(cookie_name, client.get_cookie(cookie_name).value)  # type: ignore[union-attr]
    faults.set_fault("GET /app/users/me", "token_expired", times=2)
    assert client.get(f"/p/{PARTNER_A}/test-who").status_code == 200
    assert browser_b.get(f"/p/{PARTNER_A}/test-who").status_code == 200
    assert len(faults.calls("POST /app/users/refresh")) == 1


# -- refused refresh → draft -----------------------------------------------------------------------


def test_refused_refresh_keeps_the_form_and_brings_the_operator_back(
    client: FlaskClient, faults: SandboxHandle, sandbox: SandboxHandle, operator: tuple[str, str]
) -> None:
    faults.set_fault("GET /app/users/me", "token_expired", times=2)
    faults.set_fault("POST /app/users/refresh", "status", status=401, times=1)
    token = _token(client)
    posted = client.post(
        FORM_PATH,
        data={
            "name": "Ana",
            "amount": "125.50",
            "tags": ["a", "b"],
            "password": "secret!",
            "otp": "123456",
            "csrf_token": token,
        },
    )
    assert posted.status_code in (302, 303)
    location = posted.headers["Location"]
    assert "/auth/login" in location
    assert "reason=upstream" in location
    assert client.get(f"/p/{PARTNER_A}/").status_code in (302, 303)  # signed out

    faults.clear_faults()
    back = sign_in(client, sandbox, *operator, next_path=FORM_PATH)
    assert back.headers["Location"] == FORM_PATH
    draft = client.get(FORM_PATH).get_json()["draft"]
    assert draft == {"name": "Ana", "amount": "125.50", "tags": ["a", "b"]}
    assert client.get(FORM_PATH).get_json()["draft"] is None  # handed back once


def test_refused_refresh_on_htmx_is_401_with_hx_redirect(client: FlaskClient, faults: SandboxHandle) -> None:
    faults.set_fault("GET /app/users/me", "token_expired", times=2)
    faults.set_fault("POST /app/users/refresh", "status", status=401, times=1)
    answer = client.post(
        FORM_PATH, data={"name": "Ana"}, headers={"HX-Request": "true", "X-CSRFToken": _token(client)}
    )
    assert answer.status_code == 401
    assert "/auth/login" in answer.headers["HX-Redirect"]


def test_drafts_belong_to_their_operator(
    console: Flask, client: FlaskClient, faults: SandboxHandle, sandbox: SandboxHandle, auth: Auth
) -> None:
    faults.set_fault("GET /app/users/me", "token_expired", times=2)
    faults.set_fault("POST /app/users/refresh", "status", status=401, times=1)
    client.post(FORM_PATH, data={"name": "Ana", "csrf_token": _token(client)})
    faults.clear_faults()
    other = auth.sign_in().client
    assert other.get(FORM_PATH).get_json()["draft"] is None


# -- partner switcher ------------------------------------------------------------------------------


def test_switching_partner_keeps_the_section(client: FlaskClient) -> None:
    answer = client.post(
        "/auth/partner",
        data={"partner_id": PARTNER_B, "next": f"/p/{PARTNER_A}/test-form?x=1", "csrf_token": _token(client)},
    )
    assert answer.status_code in (302, 303)
    assert answer.headers["Location"] == f"/p/{PARTNER_B}/test-form"


def test_switching_without_a_section_goes_to_the_dashboard(client: FlaskClient) -> None:
    answer = client.post(
        "/auth/partner",
        data={"partner_id": PARTNER_B, "next": "/auth/partners", "csrf_token": _token(client)},
    )
    assert answer.headers["Location"] == f"/p/{PARTNER_B}/"


def test_switching_to_a_foreign_partner_is_refused(client: FlaskClient, console: Flask) -> None:
    answer = client.post("/auth/partner", data={"partner_id": 999, "csrf_token": _token(client)})
    assert answer.status_code == 403


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(
    "raw",
    [str(PARTNER_B).translate(FULL_WIDTH), str(2**64), "9" * 5000, "²"],
    ids=["full-width", "2^64", "5000-digits", "superscript"],
)
def test_a_partner_id_outside_the_contract_is_a_bad_request(client: FlaskClient, raw: str) -> None:
    """int() reads full-width digits and ids past 2^63; the switcher takes only what a URL id can be."""
    answer = client.post("/auth/partner", data={"partner_id": raw, "csrf_token": _token(client)})
    assert answer.status_code == 400


def test_a_foreign_partner_url_is_refused_before_any_upstream_call(
    client: FlaskClient, faults: SandboxHandle
) -> None:
    faults.clear_calls()
    assert client.get("/p/999/test-who").status_code == 403
    assert faults.calls("GET /app/users/me") == []
