"""CSRF: every unsafe route refuses a request without a valid token, and says why in the security log."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.console import operator_session

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def unsafe_routes(app: Flask) -> list[tuple[str, str]]:
    adapter = app.url_map.bind("localhost")
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted(set(rule.methods or ()) & set(UNSAFE)):
            routes.append((method, adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, 1))))
    return routes


def csrf_token(client: FlaskClient) -> str:
    found = re.search(
        r'name="csrf-token" content="([^"]+)"', client.get("/no/such/page").get_data(as_text=True)
    )
    assert found is not None
    return found.group(1)


def csrf_reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        str(getattr(r, "reason", "")) for r in caplog.records if getattr(r, "event", None) == "csrf_failure"
    ]


def test_every_unsafe_route_refuses_a_missing_token(console: Flask, caplog: pytest.LogCaptureFixture) -> None:
    routes = unsafe_routes(console)
    assert ("POST", "/lang") in routes
    for method, url in routes:
        client = console.test_client()
        operator_session(client)
        caplog.clear()
        for htmx in (False, True):
            response = client.open(
                url, method=method, data={"x": "1"}, headers={"HX-Request": "true"} if htmx else {}
            )
            assert response.status_code == 400, (method, url, htmx)
            if htmx:
                assert response.headers["HX-Retarget"] == "#flash"
            else:
                assert "Form expired" in response.get_data(as_text=True)
        assert csrf_reasons(caplog) == ["The CSRF token is missing."] * 2, (method, url)


def test_a_wrong_token_is_refused_with_its_reason(console: Flask, caplog: pytest.LogCaptureFixture) -> None:
    client = console.test_client()
    operator_session(client)
    csrf_token(client)  # the session now holds a real token; the form sends another
    response = client.post("/lang", data={"lang": "es", "csrf_token": "forged"})
    assert response.status_code == 400
    assert csrf_reasons(caplog) == ["The CSRF token is invalid."]


def test_token_in_form_or_header_passes(console: Flask) -> None:
    client = console.test_client()
    operator_session(client)
    token = csrf_token(client)
    assert client.post("/lang", data={"lang": "es", "csrf_token": token}).status_code == 303
    assert client.post("/lang", data={"lang": "en"}, headers={"X-CSRFToken": token}).status_code == 303


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Sec-Fetch-Site": "cross-site"}, "Cross-site request refused (Sec-Fetch-Site: cross-site)."),
        ({"Origin": "https://evil.example"}, "The origin does not match the host."),
        ({"Referer": "https://evil.example/form"}, "The referrer does not match the host."),
    ],
)
def test_cross_site_signals_are_refused_even_with_a_valid_token(
    console: Flask, caplog: pytest.LogCaptureFixture, headers: dict[str, str], reason: str
) -> None:
    client = console.test_client()
    operator_session(client)
    token = csrf_token(client)
    response = client.post(
        "/lang", data={"lang": "es", "csrf_token": token}, headers=headers, base_url="https://localhost"
    )
    assert response.status_code == 400
    assert csrf_reasons(caplog) == [reason]
    same_site = {"Sec-Fetch-Site": "same-origin", "Origin": "https://localhost"}
    ok = client.post(
        "/lang", data={"lang": "es", "csrf_token": token}, headers=same_site, base_url="https://localhost"
    )
    assert ok.status_code == 303  # https without a Referer (no-referrer policy) still works


def test_without_a_session_a_csrf_failure_goes_to_sign_in(
    console: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = console.test_client()
    response = client.post("/lang", data={"lang": "es"})
    assert response.status_code in {302, 303}
    assert response.headers["Location"].startswith("/auth/login")
    htmx = client.post("/lang", data={"lang": "es"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"].startswith("/auth/login")
    assert len(csrf_reasons(caplog)) == 2


def test_csrf_tokens_do_not_expire_with_time(console: Flask) -> None:
    assert console.config["WTF_CSRF_TIME_LIMIT"] is None  # bound to the session, which has its own limits
