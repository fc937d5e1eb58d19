"""Fault plan F1–F23 (docs/faults.md) through the console, for pages and fragments.

Each fault is injected by the sandbox on one upstream route; the test looks at what the operator gets (status,
wording, the correlation id, Retry-After) and counts what reached the upstream: a GET retried at most once,
never when the answer cannot get better. The console here has short timeouts (config knobs), so the suite
never waits long and never sleeps; the sandbox records a call when it answers, so calls cut by a timeout
are counted from the CMS client's own log instead.

The fixtures at the top are shared with test_faults_forms.py and test_faults_breaker.py.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.console.test_auth_login import PARTNER_A
from tests.support.auth import Auth
from tests.support.console import make_console
from tests.support.sandbox import SandboxHandle

LIST = f"/p/{PARTNER_A}/cardholders/"
LIST_ROUTE = f"GET /app/partners/{PARTNER_A}/cardholders"
LIST_TEMPLATE = "/app/partners/{partnerId}/cardholders"
DETAIL_ROUTE = f"POST /app/partners/{PARTNER_A}/cardholders/*"
REFRESH_ROUTE = "POST /app/users/refresh"
MAKER = [
    "cardholders:list",
    "cardholders:detail",
    "cardholders:create",
    "cardholders:update",
    "cards-admin:detail",
]
# Short budget for this console: connect 0.5 s, read 0.6 s, 2 s overall per call.
FAST = {
    "CMS_CONNECT_TIMEOUT": 0.5,
    "CMS_READ_TIMEOUT": 1.0,  # under the 1.5 s delay faults, with room for a loaded machine
    "CMS_DEADLINE": 2.0,
    "LOGIN_RATE_LIMIT": "200 per minute",
    "OTP_RATE_LIMIT": "200 per minute",
}
REQUEST_ID = re.compile(r'data-testid="request-id">([^<]+)<')
FRAGMENT = {"HX-Request": "true", "HX-Target": "cardholder-results"}


# -- fixtures shared by the fault modules ---------------------------------------------------------------


@pytest.fixture(scope="module")
def fault_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One instance folder per module: nodes made on it share the session store (same secret key)."""
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def console(sandbox: SandboxHandle, fault_home: Path) -> Flask:
    """One console per module, not the per-test `app`: its operator (`maker`) signs in once for the module."""
    return make_console(sandbox, fault_home, **FAST)


@pytest.fixture(scope="module")
def maker(console: Flask, sandbox: SandboxHandle) -> FlaskClient:
    """One operator for the module, signed in through the console's pages (real upstream tokens)."""
    return Auth(console, sandbox).sign_in({PARTNER_A: MAKER}).client


@pytest.fixture(scope="module")
def detail(maker: FlaskClient) -> str:
    """The URL of a real cardholder's detail page (its upstream read is a POST)."""
    found = re.search(rf'href="({LIST}\d+)"', html(maker.get(LIST)))
    assert found, "no cardholder on the first page"
    return found.group(1)


@pytest.fixture
def faults(clean_faults: SandboxHandle, console: Flask) -> Iterator[SandboxHandle]:
    """No fault and a closed breaker on entry; no fault left behind."""
    console.extensions["cms"].breaker.record_success()
    yield clean_faults
    console.extensions["cms"].breaker.record_success()


def node(sandbox: SandboxHandle, console: Flask, home: Path, **overrides: Any) -> Flask:
    """Another console node on the same session store (so the signed-in cookie works there), differently
    configured, e.g. pointed at a closed port or with its own breaker."""
    return make_console(sandbox, home, **{**FAST, "SECRET_KEY": console.config["SECRET_KEY"], **overrides})


def same_browser(app: Flask, client: FlaskClient) -> FlaskClient:
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    other = app.test_client()
    cookie = client.get_cookie(cookie_name)
    assert cookie is not None
    other.set_cookie(cookie_name, cookie.value)
    return other


def html(resp: Any) -> str:
    text: str = resp.get_data(as_text=True)
    return text


def attempts(caplog: pytest.LogCaptureFixture, route_template: str) -> list[int]:
    """Attempt numbers the CMS client logged for one upstream route (counts calls a timeout cut short)."""
    return [
        int(record.attempt)  # type: ignore[attr-defined]
        for record in caplog.records
        if getattr(record, "upstream_route", None) == route_template
    ]


def assert_error_page(resp: Any, status: int, wording: str) -> str:
    """An error answer: the status, the wording, a correlation id equal to X-Request-ID, no traceback."""
    body = html(resp)
    assert resp.status_code == status, body[:600]
    assert wording in body
    found = REQUEST_ID.search(body)
    assert found, "no correlation id on the error"
    assert found.group(1) == resp.headers["X-Request-ID"]
    assert "Traceback" not in body
    assert 'File "' not in body
    return body


# -- F1 / F2: nothing reaches the upstream ----------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_f1_connection_refused_is_a_quick_503_after_one_retry(
    console: Flask,
    maker: FlaskClient,
    sandbox: SandboxHandle,
    fault_home: Path,
    caplog: pytest.LogCaptureFixture,
    detail: str,
) -> None:
    dead = node(sandbox, console, fault_home, CMS_BASE_URL=f"http://127.0.0.1:{_closed_port()}/cms/rest")
    browser = same_browser(dead, maker)
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="webapp.cms"):
        page = browser.get(detail)  # the detail page goes through the error table
    assert time.monotonic() - started < 4
    assert_error_page(page, 503, "The CMS cannot be reached right now.")
    assert page.headers["Retry-After"] == "30"
    # The app token is the first call; connect refused is retried once (nothing was sent), then given up.
    tried = [r for r in caplog.records if r.name == "webapp.cms" and getattr(r, "attempt", None)]
    assert 1 <= len(tried) <= 2
    assert dead.extensions["cms"].breaker.state == "closed"  # one failed call, still under the threshold

    fragment = browser.get(LIST, headers=FRAGMENT)
    assert fragment.status_code == 200  # the list explains the failure in place of the rows
    assert "The list could not be loaded" in html(fragment)


def test_f2_connect_timeout_is_bounded(
    console: Flask, maker: FlaskClient, sandbox: SandboxHandle, fault_home: Path, detail: str
) -> None:
    """A listening socket that never accepts (backlog full): the connect timeout cuts it, twice at most."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(0)
        port = silent.getsockname()[1]
        fillers = []
        try:
            for _ in range(8):  # fill the accept queue so later connects hang in SYN
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
                fillers.append(filler)
            stuck = node(sandbox, console, fault_home, CMS_BASE_URL=f"http://127.0.0.1:{port}/cms/rest")
            browser = same_browser(stuck, maker)
            started = time.monotonic()
            page = browser.get(detail)
            elapsed = time.monotonic() - started
        finally:
            for filler in fillers:
                filler.close()
    assert page.status_code in (503, 504), html(page)[:400]
    assert REQUEST_ID.search(html(page))
    assert elapsed < 2 * 0.5 + 2.0  # two connect timeouts, the retry pause, margin


# -- F3 / F5 / F16: the upstream got the request but gave no usable answer -------------------------------


def test_f3_read_timeout_get_is_tried_twice_then_504(
    maker: FlaskClient, faults: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    faults.set_fault(LIST_ROUTE, "delay", ms=1500)
    with caplog.at_level(logging.INFO, logger="webapp.cms"):
        page = maker.get(f"{LIST}?page=2", headers=FRAGMENT)
    assert page.status_code == 200
    assert "The list could not be loaded" in html(page)
    assert attempts(caplog, LIST_TEMPLATE) == [1, 2]


def test_f3_read_timeout_on_a_detail_is_a_504_page_without_retry(
    maker: FlaskClient, faults: SandboxHandle, caplog: pytest.LogCaptureFixture, detail: str
) -> None:
    """The detail read is a POST upstream (it may carry a one-time code): never repeated."""
    faults.set_fault(DETAIL_ROUTE, "delay", ms=1500)
    with caplog.at_level(logging.INFO, logger="webapp.cms"):
        page = maker.get(detail)
    assert_error_page(page, 504, "The CMS took too long to answer.")
    assert attempts(caplog, LIST_TEMPLATE + "/{cardholderId}") == [1]


def test_f5_slow_drip_is_cut_at_the_deadline(maker: FlaskClient, faults: SandboxHandle, detail: str) -> None:
    faults.set_fault(DETAIL_ROUTE, "drip", interval=0.05)
    started = time.monotonic()
    page = maker.get(detail)
    assert time.monotonic() - started <= 2.0 + 1.0
    assert_error_page(page, 504, "The CMS took too long to answer.")


def test_f16_connection_reset_is_reported_not_crashed(
    maker: FlaskClient, faults: SandboxHandle, detail: str
) -> None:
    faults.set_fault(DETAIL_ROUTE, "reset")
    page = maker.get(detail)
    assert page.status_code in (502, 504)
    assert REQUEST_ID.search(html(page))
    assert "Traceback" not in html(page)


# -- F6 / F7 / F15: error statuses and answers that cannot be trusted ------------------------------------


@pytest.mark.parametrize(
    ("mode", "params", "status", "wording"),
    [
        ("status", {"status": 500}, 502, "The CMS reported an internal error."),
        ("badjson", {}, 502, "The CMS sent an answer the console cannot use."),
        ("empty", {}, 502, "The CMS sent an answer the console cannot use."),
        ("success_false", {}, 502, "The CMS sent an answer the console cannot use."),
        ("html", {}, 502, "The CMS reported an internal error."),
        ("status", {"status": 503}, 502, "The CMS reported an internal error."),
    ],
)
def test_f6_f7_f15_detail_page_maps_every_bad_answer(
    maker: FlaskClient,
    faults: SandboxHandle,
    mode: str,
    params: dict[str, Any],
    status: int,
    wording: str,
    detail: str,
) -> None:
    faults.set_fault(DETAIL_ROUTE, mode, **params)
    page = maker.get(detail)
    assert_error_page(page, status, wording)
    assert len(faults.calls(DETAIL_ROUTE)) == 1  # a POST upstream: never repeated

    fragment = maker.get(detail, headers={"HX-Request": "true"})
    assert fragment.status_code == status
    assert fragment.headers["HX-Retarget"] == "#flash"  # the page the operator is on stays as it is
    assert "<html" not in html(fragment)
    assert REQUEST_ID.search(html(fragment))


@pytest.mark.parametrize(
    ("mode", "params", "calls"),
    [
        ("status", {"status": 500}, 1),  # not transient: no retry
        ("status", {"status": 502}, 2),
        ("status", {"status": 503}, 2),
        ("status", {"status": 504}, 2),
        ("html", {}, 2),  # a proxy's 502 page
        ("badjson", {}, 1),
        ("success_false", {}, 1),
    ],
)
def test_f6_f7_list_get_retries_only_transient_failures_once(
    maker: FlaskClient, faults: SandboxHandle, mode: str, params: dict[str, Any], calls: int
) -> None:
    faults.set_fault(LIST_ROUTE, mode, **params)
    page = maker.get(LIST)
    assert page.status_code == 503
    assert "The list could not be loaded" in html(page)
    assert len(faults.calls(LIST_ROUTE)) == calls


def test_f7_get_recovers_on_the_retry(maker: FlaskClient, faults: SandboxHandle) -> None:
    faults.set_fault(LIST_ROUTE, "status", status=503, times=1)
    page = maker.get(LIST)
    assert page.status_code == 200
    assert html(page).count("<tr data-row>") == 50
    assert len(faults.calls(LIST_ROUTE)) == 2


# -- F8: 429 / 503 with Retry-After ------------------------------------------------------------------------


def test_f8_short_retry_after_is_waited_once(maker: FlaskClient, faults: SandboxHandle) -> None:
    faults.set_fault(LIST_ROUTE, "retry_after", status=429, value="1", times=1)
    started = time.monotonic()
    page = maker.get(LIST)
    assert page.status_code == 200
    assert len(faults.calls(LIST_ROUTE)) == 2
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("value", ["3600", "soon", "Wed, 21 Oct 2099 07:28:00 GMT"])
def test_f8_long_or_unusable_retry_after_is_passed_on_without_waiting(
    maker: FlaskClient, faults: SandboxHandle, value: str, detail: str
) -> None:
    faults.set_fault(DETAIL_ROUTE, "retry_after", status=429, value=value)
    started = time.monotonic()
    page = maker.get(detail)
    assert time.monotonic() - started < 2
    assert_error_page(page, 429, "The CMS is busy.")
    expected = "5" if value == "soon" else None  # garbage is "no hint": the console's own suggestion
    if expected:
        assert page.headers["Retry-After"] == expected
    else:
        assert int(page.headers["Retry-After"]) >= 3600
    assert len(faults.calls(DETAIL_ROUTE)) == 1


def test_f8_503_with_a_long_retry_after_on_a_get_is_not_waited(
    maker: FlaskClient, faults: SandboxHandle
) -> None:
    faults.set_fault(LIST_ROUTE, "retry_after", status=503, value="3600")
    started = time.monotonic()
    page = maker.get(LIST)
    assert time.monotonic() - started < 2
    assert page.status_code == 503
    assert len(faults.calls(LIST_ROUTE)) == 1


# -- F9: an expired user token is refreshed once, transparently --------------------------------------------


def test_f9_expired_user_token_refreshes_once_and_the_page_loads(
    maker: FlaskClient, faults: SandboxHandle
) -> None:
    faults.set_fault(LIST_ROUTE, "token_expired", times=2)  # before and after the app token's renewal
    page = maker.get(LIST)
    assert page.status_code == 200
    assert html(page).count("<tr data-row>") == 50
    assert len(faults.calls(REFRESH_ROUTE)) == 1
    assert len(faults.calls(LIST_ROUTE)) == 3
    again = maker.get(LIST, headers=FRAGMENT)
    assert again.status_code == 200
    assert len(faults.calls(REFRESH_ROUTE)) == 1  # the rotated pair was kept


def test_f11_app_token_refused_is_a_system_fault_not_a_sign_out(
    console: Flask,
    maker: FlaskClient,
    sandbox: SandboxHandle,
    fault_home: Path,
    faults: SandboxHandle,
    detail: str,
) -> None:
    """A node whose merchant key the sandbox does not know: its app login fails; the operator stays signed
    in (the same cookie still works on a healthy node)."""
    from tests.support.keys import new_keypair

    stranger = node(
        sandbox, console, fault_home, CMS_APP_LOGIN="signed", CMS_MERCHANT_KEY_PEM=new_keypair().private_pem
    )
    page = same_browser(stranger, maker).get(detail)
    assert page.status_code in (502, 503), html(page)[:400]
    assert REQUEST_ID.search(html(page))
    assert maker.get(LIST).status_code == 200


# -- F23: recovery needs no restart ----------------------------------------------------------------------


def test_f23_the_next_request_after_a_fault_succeeds(
    maker: FlaskClient, faults: SandboxHandle, detail: str
) -> None:
    faults.set_fault(DETAIL_ROUTE, "status", status=500, times=1)
    assert maker.get(detail).status_code == 502
    assert maker.get(detail).status_code == 200
