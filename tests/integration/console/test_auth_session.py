"""Session lifecycle: idle and absolute timeouts, background polls, keep-alive, sign-out and replay."""

from __future__ import annotations

import time

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.console.test_auth_login import (
    PARTNER_A,
    csrf_from,
    session_cookie,
)
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle

HTMX = {"HX-Request": "true"}


pytestmark = pytest.mark.console(
    SESSION_IDLE_SECONDS=900,
    SESSION_WARNING_SECONDS=120,
    SESSION_ABSOLUTE_SECONDS=3600,
    LOGIN_RATE_LIMIT="100 per minute",
)


@pytest.fixture
def client(auth: Auth) -> FlaskClient:
    """Signed in, unlike the shared `client`: these tests are about a session's life."""
    return auth.sign_in().client


def test_activity_within_the_idle_limit_keeps_the_session(client: FlaskClient) -> None:
    with time_machine.travel(time.time(), tick=True) as clock:
        for _ in range(3):  # 42 minutes in all, never 15 without a click
            clock.shift(14 * 60)
            assert client.get(f"/p/{PARTNER_A}/").status_code == 200


def _token(client: FlaskClient) -> str:
    return csrf_from(client.get("/auth/partners").get_data(as_text=True))


def test_idle_session_ends_with_a_redirect_to_sign_in(client: FlaskClient, console: Flask) -> None:
    with time_machine.travel(time.time(), tick=True) as clock:
        clock.shift(901)
        response = client.get(f"/p/{PARTNER_A}/")
    assert response.status_code in (302, 303)
    location = response.headers["Location"]
    assert "/auth/login" in location
    assert "reason=idle" in location
    assert "next=" in location
    assert session_cookie(client, console) is None
    assert client.get(f"/p/{PARTNER_A}/").status_code in (302, 303)


def test_idle_htmx_request_gets_401_and_hx_redirect(client: FlaskClient) -> None:
    with time_machine.travel(time.time(), tick=True) as clock:
        clock.shift(901)
        response = client.get(f"/p/{PARTNER_A}/", headers=HTMX)
    assert response.status_code == 401
    assert "/auth/login" in response.headers["HX-Redirect"]


def test_background_polls_do_not_keep_a_session_alive(client: FlaskClient) -> None:
    with time_machine.travel(time.time(), tick=True) as clock:
        for _ in range(29):  # every 30 s for 14.5 min
            clock.shift(30)
            assert client.get(f"/p/{PARTNER_A}/", headers={"X-Background": "1"}).status_code == 200
        clock.shift(31)
        lapsed = client.get(f"/p/{PARTNER_A}/", headers={"X-Background": "1"})
        assert lapsed.status_code == 204  # nothing served once the session lapsed
        assert not lapsed.data
        page = client.get(f"/p/{PARTNER_A}/")  # the operator's next page ends it and says why
        assert page.status_code in (302, 303)
        assert "reason=idle" in page.headers["Location"]


def test_session_status_never_counts_as_activity(client: FlaskClient) -> None:
    with time_machine.travel(time.time(), tick=True) as clock:
        clock.shift(600)
        remaining = client.get("/auth/session").get_json()["remaining_seconds"]
        assert 295 <= remaining <= 300
        clock.shift(301)
        assert client.get("/auth/session").status_code in (302, 303)


def test_keepalive_resets_the_idle_clock_and_reports_time_left(client: FlaskClient) -> None:
    token = _token(client)
    with time_machine.travel(time.time(), tick=True) as clock:
        clock.shift(800)
        answer = client.post("/auth/keepalive", headers={"X-CSRFToken": token})
        assert answer.status_code == 200
        assert answer.get_json()["remaining_seconds"] >= 895
        assert answer.get_json()["warning_seconds"] == 120
        clock.shift(800)
        assert client.get("/auth/session").status_code == 200


def test_keepalive_for_htmx_is_a_fragment(client: FlaskClient) -> None:
    answer = client.post("/auth/keepalive", headers={**HTMX, "X-CSRFToken": _token(client)})
    assert answer.status_code == 200
    assert "data-remaining-seconds" in answer.get_data(as_text=True)


def test_absolute_limit_ends_even_an_active_session(client: FlaskClient) -> None:
    with time_machine.travel(time.time(), tick=True) as clock:
        for _ in range(5):
            clock.shift(10 * 60)
            assert client.get("/auth/partners").status_code == 200
        clock.shift(601)
        response = client.get(f"/p/{PARTNER_A}/")
    assert response.status_code in (302, 303)
    assert "reason=absolute" in response.headers["Location"]


def test_expiry_is_audited(client: FlaskClient, console: Flask) -> None:
    from webapp.store.audit import recent_events

    with time_machine.travel(time.time(), tick=True) as clock:
        clock.shift(901)
        client.get(f"/p/{PARTNER_A}/")
    with console.app_context():
        actions = [(e.action, e.outcome) for e in recent_events()]
    assert ("session_expired", "ended") in actions


def test_sign_out_deletes_the_session_and_tells_the_browser_to_forget(
    client: FlaskClient, console: Flask
) -> None:
    old_cookie = session_cookie(client, console)
    assert old_cookie
    response = client.post("/auth/logout", data={"csrf_token": _token(client)})
    assert response.status_code in (302, 303)
    assert "reason=signed_out" in response.headers["Location"]
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    replay = console.test_client()
    replay.set_cookie(console.config["SESSION_COOKIE_NAME"], old_cookie)
    refused = replay.get(f"/p/{PARTNER_A}/")
    assert refused.status_code in (302, 303)
    assert "/auth/login" in refused.headers["Location"]


def test_sign_out_needs_the_csrf_token(client: FlaskClient) -> None:
    assert client.post("/auth/logout").status_code == 400
    assert client.get(f"/p/{PARTNER_A}/").status_code == 200


def test_sign_out_is_post_only(client: FlaskClient) -> None:
    assert client.get("/auth/logout").status_code == 405


def test_no_remember_me_cookie_is_ever_set(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client = auth.sign_in().client
    names = {cookie.key for cookie in client._cookies.values()}
    # The known-device mark (webapp/auth/known_device.py) is the only other cookie, and it signs nobody in.
    assert names == {console.config["SESSION_COOKIE_NAME"], "known_device"}
    mark = client.get_cookie("known_device")
    assert mark is not None
    later = console.test_client()
    later.set_cookie("known_device", mark.value)
    refused = later.get(f"/p/{PARTNER_A}/")
    assert refused.status_code in (302, 303)
    assert "/auth/login" in refused.headers["Location"]
