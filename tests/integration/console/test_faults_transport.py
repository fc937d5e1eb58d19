"""F17–F19 (docs/faults.md) through the console: TLS failure, redirect to another host, full pool.

What the operator gets (status, wording, correlation id) and what reached the servers involved. The loopback
servers and certificates come from the client-level module (cms/test_cms_transport_faults.py), the
signed-in operator and the extra console nodes from test_faults_pages.py.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.cms.test_cms_transport_faults import (
    CountingServer,
    make_server_cert,
    record_text,
    server_tls,
    servers,  # noqa: F401 - fixture
    tls_events,
)
from tests.integration.console.test_faults_pages import (
    DETAIL_ROUTE,
    LIST,
    LIST_ROUTE,
    REQUEST_ID,
    assert_error_page,
    console,  # noqa: F401 - fixture
    detail,  # noqa: F401 - fixture
    fault_home,  # noqa: F401 - fixture
    faults,  # noqa: F401 - fixture
    html,
    maker,  # noqa: F401 - fixture
    node,
    same_browser,
)
from tests.support.sandbox import SandboxHandle

UNAVAILABLE = "The CMS cannot be reached right now."
UNEXPECTED = "The CMS sent an answer the console cannot use."
FLASH = {"HX-Request": "true"}
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ")


def assert_still_signed_in(app: Flask, resp: Any) -> None:
    """No sign-out: neither a redirect to the sign-in page nor a cleared session cookie."""
    assert resp.status_code not in (301, 302, 303, 401)
    assert "HX-Redirect" not in resp.headers
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    assert not [c for c in resp.headers.getlist("Set-Cookie") if c.startswith(f"{cookie_name}=;")]


# -- F17: TLS failure ----------------------------------------------------------------------------------------


def test_f17_untrusted_tls_upstream_is_a_503_and_a_security_event_not_a_sign_out(
    console: Flask,  # noqa: F811
    maker: FlaskClient,  # noqa: F811
    sandbox: SandboxHandle,
    fault_home: Path,  # noqa: F811
    detail: str,  # noqa: F811
    servers: Callable[..., CountingServer],  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    untrusted = servers(tls=server_tls(make_server_cert(["127.0.0.1"]), tmp_path, "self-signed"))
    impostor = node(sandbox, console, fault_home, CMS_BASE_URL=f"{untrusted.url}/cms/rest")
    browser = same_browser(impostor, maker)

    with caplog.at_level(logging.INFO):
        page = browser.get(detail)
        fragment = browser.get(detail, headers=FLASH)

    assert_error_page(page, 503, UNAVAILABLE)
    assert page.headers["Retry-After"] == "30"
    assert_still_signed_in(impostor, page)
    assert fragment.status_code == 503
    assert fragment.headers["HX-Retarget"] == "#flash"
    assert REQUEST_ID.search(html(fragment))
    assert_still_signed_in(impostor, fragment)
    # Fail closed: handshakes refused, not one HTTP request (so no token) went over the untrusted channel.
    assert untrusted.connections == 2  # one per request: a refused certificate is not tried again
    assert untrusted.handshakes == 0
    assert untrusted.requests == []
    events = tls_events(caplog)
    assert events, "no security event for the TLS failure"
    assert {getattr(e, "upstream_host", None) for e in events} == {"127.0.0.1"}
    logged = [r for r in caplog.records if r.name == "webapp.security" and r.getMessage() == "upstream_error"]
    assert {getattr(r, "status", None) for r in logged} == {503}
    assert not [r for r in caplog.records if JWT.search(record_text(r)) or "Bearer " in record_text(r)]
    # The same session carries on against a healthy upstream.
    assert maker.get(LIST).status_code == 200


# -- F18: redirect to another host ---------------------------------------------------------------------------


def test_f18_redirect_to_another_host_is_a_502_and_the_host_sees_nothing(
    maker: FlaskClient,  # noqa: F811
    faults: SandboxHandle,  # noqa: F811
    detail: str,  # noqa: F811
    servers: Callable[..., CountingServer],  # noqa: F811
) -> None:
    elsewhere = servers()
    location = f"http://localhost:{elsewhere.port}/cms/rest/app/partners"
    faults.set_fault(DETAIL_ROUTE, "redirect", status=302, location=location)
    faults.set_fault(LIST_ROUTE, "redirect", status=307, location=location)

    page = maker.get(detail)  # its upstream read is a POST
    listing = maker.get(LIST)  # a GET upstream, which would be retried if the answer were transient

    assert_error_page(page, 502, UNEXPECTED)
    assert_still_signed_in(maker.application, page)
    assert listing.status_code == 503  # the list explains the failure in place of the rows
    assert "The list could not be loaded" in html(listing)
    assert len(faults.calls(DETAIL_ROUTE)) == 1
    assert len(faults.calls(LIST_ROUTE)) == 1
    assert elsewhere.connections == 0  # not followed: no token reached the other host
    assert elsewhere.requests == []


# -- F19: pool exhaustion ------------------------------------------------------------------------------------

POOL = 4
POOL_TIMEOUT = 0.5
CONCURRENT = 10
SLOW_MS = 2000  # the upstream's pace for the four that got a connection; well past the pool wait


def test_f19_full_pool_answers_503_fast_and_the_pool_recovers(
    console: Flask,  # noqa: F811
    maker: FlaskClient,  # noqa: F811
    sandbox: SandboxHandle,
    fault_home: Path,  # noqa: F811
    faults: SandboxHandle,  # noqa: F811
    detail: str,  # noqa: F811
) -> None:
    narrow = node(
        sandbox,
        console,
        fault_home,
        CMS_MAX_POOL=POOL,
        CMS_POOL_TIMEOUT=POOL_TIMEOUT,
        CMS_READ_TIMEOUT=5.0,
        CMS_DEADLINE=8.0,
    )
    assert narrow.extensions["cms"].settings.max_pool == POOL
    warm = same_browser(narrow, maker)
    assert warm.get(detail).status_code == 200  # app token obtained, connections open, breaker closed
    faults.set_fault(DETAIL_ROUTE, "delay", ms=SLOW_MS)

    browsers = [same_browser(narrow, maker) for _ in range(CONCURRENT)]
    start = threading.Barrier(CONCURRENT)
    results: queue.Queue[tuple[int, float, Any]] = queue.Queue()

    def open_detail(browser: FlaskClient) -> None:
        start.wait(timeout=10)
        began = time.monotonic()
        resp = browser.get(detail)
        results.put((resp.status_code, time.monotonic() - began, resp))

    threads = [threading.Thread(target=open_detail, args=(b,), daemon=True) for b in browsers]
    for thread in threads:
        thread.start()
    answers = [results.get(timeout=SLOW_MS / 1000 + 10) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)

    refused = [(elapsed, resp) for status, elapsed, resp in answers if status == 503]
    served = [elapsed for status, elapsed, _ in answers if status == 200]
    assert (len(served), len(refused)) == (POOL, CONCURRENT - POOL), [a[:2] for a in answers]
    for elapsed, resp in refused:
        assert_error_page(resp, 503, UNAVAILABLE)
        assert_still_signed_in(narrow, resp)
        assert elapsed < POOL_TIMEOUT + 1.0  # about the pool wait, long before the slow ones are done
    assert min(served) >= SLOW_MS / 1000
    # Our own full pool is not an upstream failure: six refusals leave the 5-failure breaker closed.
    assert narrow.extensions["cms"].breaker.state == "closed"

    faults.clear_faults()
    assert warm.get(detail).status_code == 200  # nothing stuck in the pool
