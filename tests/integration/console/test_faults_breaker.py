"""F20 / F23: the circuit breaker stops hammering a failing upstream and closes again on its own.

A console node with a 3-failure breaker (config knobs CMS_BREAKER_FAILURES / CMS_BREAKER_RESET_SECONDS)
whose breaker runs on a hand-driven clock, so the reset time passes without sleeping.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.integration.console.test_faults_pages import (
    LIST,
    LIST_ROUTE,
    assert_error_page,
    console,  # noqa: F401 - fixture
    fault_home,  # noqa: F401 - fixture
    faults,  # noqa: F401 - fixture
    html,
    maker,  # noqa: F401 - fixture
    node,
    same_browser,
)
from tests.support.sandbox import SandboxHandle
from webapp.cms.client import CircuitBreaker

RESET_SECONDS = 5.0


class HandClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_n_failures_and_closes_after_the_probe(
    console: Flask,  # noqa: F811
    maker: FlaskClient,  # noqa: F811
    sandbox: SandboxHandle,
    fault_home: Path,  # noqa: F811
    faults: SandboxHandle,  # noqa: F811
) -> None:
    guarded = node(
        sandbox, console, fault_home, CMS_BREAKER_FAILURES=3, CMS_BREAKER_RESET_SECONDS=RESET_SECONDS
    )
    client = guarded.extensions["cms"]
    assert client.settings.breaker_failures == 3
    assert client.settings.breaker_reset_seconds == RESET_SECONDS
    clock = HandClock()
    client.upstream.breaker = CircuitBreaker(3, RESET_SECONDS, clock=clock)
    browser = same_browser(guarded, maker)
    fragment = {"HX-Request": "true", "HX-Target": "cardholder-results"}
    assert browser.get(LIST, headers=fragment).status_code == 200  # app token and tokens warm, breaker closed
    faults.clear_calls()

    faults.set_fault(LIST_ROUTE, "status", status=503)
    browser.get(LIST, headers=fragment)  # two failed attempts (GET retried once)
    browser.get(LIST, headers=fragment)  # the third failure opens the breaker; no further attempt
    assert client.breaker.state == "open"
    hits = len(faults.calls(LIST_ROUTE))
    assert hits == 3

    for _ in range(5):
        paused = browser.get(f"{LIST}?page=2", headers=fragment)
        assert paused.status_code == 200
        assert "The list could not be loaded" in html(paused)
    assert len(faults.calls(LIST_ROUTE)) == hits  # the failing upstream was left alone
    # Any page, even a cardholder id the upstream never saw: nothing is sent while the breaker is open.
    paused_page = browser.get(f"{LIST}1")
    assert_error_page(paused_page, 503, "pausing calls")
    assert int(paused_page.headers["Retry-After"]) <= RESET_SECONDS

    # F23: the upstream recovers; after the reset one probe goes through and closes the breaker.
    faults.clear_faults()
    clock.now += RESET_SECONDS
    recovered = browser.get(LIST)
    assert recovered.status_code == 200
    assert html(recovered).count("<tr data-row>") == 50
    assert client.breaker.state == "closed"
    assert len(faults.calls(LIST_ROUTE)) == hits + 1


def test_a_failed_probe_opens_the_breaker_again(
    console: Flask,  # noqa: F811
    maker: FlaskClient,  # noqa: F811
    sandbox: SandboxHandle,
    fault_home: Path,  # noqa: F811
    faults: SandboxHandle,  # noqa: F811
) -> None:
    guarded = node(sandbox, console, fault_home, CMS_BREAKER_FAILURES=2)
    clock = HandClock()
    guarded.extensions["cms"].upstream.breaker = CircuitBreaker(2, RESET_SECONDS, clock=clock)
    browser = same_browser(guarded, maker)
    assert browser.get(LIST).status_code == 200
    faults.clear_calls()
    faults.set_fault(LIST_ROUTE, "status", status=502)
    browser.get(LIST)
    assert guarded.extensions["cms"].breaker.state == "open"
    clock.now += RESET_SECONDS
    browser.get(LIST)  # the probe fails: open again at once, no retry behind it
    assert guarded.extensions["cms"].breaker.state == "open"
    assert len(faults.calls(LIST_ROUTE)) == 3
