"""Security headers on every response: pages, fragments, redirects, errors and static files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.support.console import make_console, operator_session
from tests.support.sandbox import SandboxHandle
from webapp.access import public
from webapp.security_headers import CSP

EXPECTED = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.fixture(autouse=True)
def _boom_route(app: Flask) -> None:
    @app.route("/_boom")
    @public
    def _boom() -> str:
        raise RuntimeError("boom")


def get_urls(app: Flask) -> Iterator[str]:
    """One concrete URL for every GET rule (ids filled with 1)."""
    adapter = app.url_map.bind("localhost")
    rule: Rule
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        yield adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, 1))


def assert_hardened(response_headers: dict[str, str], *, static: bool = False) -> None:
    for name, value in EXPECTED.items():
        assert response_headers.get(name) == value, name
    assert "camera=()" in response_headers["Permissions-Policy"]
    assert "microphone=()" in response_headers["Permissions-Policy"]
    assert "geolocation=()" in response_headers["Permissions-Policy"]
    assert response_headers.get("Server", "console") == "console"
    assert "X-Powered-By" not in response_headers
    assert response_headers["X-Request-ID"]
    assert "Server-Timing" not in response_headers  # internals, only when SERVER_TIMING is on
    if not static:
        assert response_headers["Cache-Control"] == "no-store"
        assert "HX-Request" in response_headers.get("Vary", "")


def test_csp_is_strict() -> None:
    assert "unsafe-inline" not in CSP
    assert "unsafe-eval" not in CSP
    assert "*" not in CSP
    for directive in (
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "script-src 'self'",
        "style-src 'self'",
    ):
        assert directive in CSP


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_get_route_is_hardened(console: Flask, signed_in: bool, htmx: bool) -> None:
    urls = sorted(set(get_urls(console)))
    assert "/healthz" in urls
    assert "/_boom" in urls
    for url in urls:
        client: FlaskClient = console.test_client()
        if signed_in:
            operator_session(client)
        response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
        assert_hardened(dict(response.headers), static=False)
        assert response.status_code != 500 or url == "/_boom", url


def test_error_pages_and_static_files_are_hardened(console: Flask) -> None:
    client = console.test_client()
    for url, status in (("/no/such/page", 404), ("/_boom", 500), ("/healthz", 200)):
        response = client.get(url)
        assert response.status_code == status
        assert_hardened(dict(response.headers))
    for asset in ("css/console.css", "js/app.js", "vendor/htmx-2.0.11.min.js"):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200
        assert_hardened(dict(response.headers), static=True)
        response.close()


def test_hsts_on_https_only(console: Flask) -> None:
    client = console.test_client()
    assert client.get("/healthz", base_url="https://localhost").headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains"
    )
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_pages_declare_utf8(console: Flask) -> None:
    assert console.test_client().get("/no/such/page").headers["Content-Type"] == "text/html; charset=utf-8"


def test_server_timing_only_when_the_setting_enables_it(sandbox: SandboxHandle, tmp_path: Path) -> None:
    assert "Server-Timing" not in make_console(sandbox, tmp_path).test_client().get("/auth/login").headers
    timed = make_console(sandbox, tmp_path / "timed", SERVER_TIMING=True).test_client()
    for path in ("/auth/login", "/no/such/page", "/healthz"):
        timing = timed.get(path).headers["Server-Timing"]
        assert "upstream;dur=" in timing
        assert "render;dur=" in timing
        assert "total;dur=" in timing
