"""Sign-in against the sandbox over real HTTP: password, emailed code, failures, limits and `next`.

The steps themselves (`submit_password`, `submit_code`, `sign_in`) are in tests/support/auth.py.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import httpx
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.auth import (
    PARTNER_A,
    PARTNER_B,
    csrf_from,
    new_operator,
    sign_in,
    submit_code,
    submit_password,
)
from tests.support.console import make_console
from tests.support.sandbox import SandboxHandle

# The sign-in steps live in tests/support/auth.py; they are imported from here by older modules too.
__all__ = ["PARTNER_A", "PARTNER_B", "csrf_from", "new_operator", "sign_in", "submit_code", "submit_password"]


def session_cookie(client: FlaskClient, app: Flask) -> str | None:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


pytestmark = pytest.mark.console(LOGIN_RATE_LIMIT="100 per minute", OTP_RATE_LIMIT="100 per minute")


# -- the happy path --------------------------------------------------------------------------------


def test_password_then_code_signs_in_and_lands_on_the_only_partner(
    client: FlaskClient, console: Flask, sandbox: SandboxHandle
) -> None:
    email, password = new_operator(sandbox)
    done = sign_in(client, sandbox, email, password)
    assert done.status_code in (302, 303)
    assert done.headers["Location"].endswith(f"/p/{PARTNER_A}/")
    with client.session_transaction() as sess:
        assert sess["operator"]["email"] == email
        assert sess["operator"]["permissions"][str(PARTNER_A)] == ["cardholders:list"]
        assert sess["tokens"]["stage"] == "full"
        assert "pending_login" not in sess


def test_several_partners_go_to_the_picker(client: FlaskClient, sandbox: SandboxHandle) -> None:
    email, password = new_operator(sandbox, partners=(PARTNER_A, PARTNER_B))
    done = sign_in(client, sandbox, email, password)
    assert done.headers["Location"].endswith("/auth/partners")
    page = client.get("/auth/partners").get_data(as_text=True)
    assert f"/p/{PARTNER_A}/" in page
    assert f"/p/{PARTNER_B}/" in page


def test_permissions_are_read_for_every_partner(client: FlaskClient, sandbox: SandboxHandle) -> None:
    email, password = new_operator(
        sandbox,
        partners=(PARTNER_A, PARTNER_B),
        permissions={PARTNER_A: ["cardholders:list"], PARTNER_B: ["balance-management:list", "users:list"]},
    )
    sign_in(client, sandbox, email, password)
    with client.session_transaction() as sess:
        perms = sess["operator"]["permissions"]
    assert perms == {
        str(PARTNER_A): ["cardholders:list"],
        str(PARTNER_B): ["balance-management:list", "users:list"],
    }


def test_session_id_is_replaced_at_sign_in_and_the_old_one_is_dead(
    client: FlaskClient, console: Flask, sandbox: SandboxHandle
) -> None:
    email, password = new_operator(sandbox)
    submit_password(client, email, password)
    before = session_cookie(client, console)
    assert before
    submit_code(client, sandbox.latest_otp(email))
    after = session_cookie(client, console)
    assert after
    assert after != before
    replay = console.test_client()
    replay.set_cookie(console.config["SESSION_COOKIE_NAME"], before)
    assert replay.get(f"/p/{PARTNER_A}/").status_code in (302, 303)


def test_the_cookie_is_opaque_and_locked_down(
    client: FlaskClient, console: Flask, sandbox: SandboxHandle
) -> None:
    email, password = new_operator(sandbox)
    done = sign_in(client, sandbox, email, password)
    set_cookies = [v for k, v in done.headers.items() if k.lower() == "set-cookie"]
    session_line = next(c for c in set_cookies if c.startswith(console.config["SESSION_COOKIE_NAME"] + "="))
    attributes = {part.strip().split("=")[0].lower() for part in session_line.split(";")[1:]}
    assert {"httponly", "path"} <= attributes
    assert "samesite=lax" in session_line.lower()
    assert "domain" not in attributes
    value = session_line.split(";")[0].split("=", 1)[1]
    assert len(value) >= 22
    with client.session_transaction() as sess:
        tokens = sess["tokens"]
    assert tokens["access_token"] not in done.get_data(as_text=True)
    assert tokens["access_token"] not in value
    assert tokens["refresh_token"] not in value


class RecordingTransport(httpx.HTTPTransport):
    """The real transport to the sandbox, keeping a copy of each request body the console sent."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: dict[str, list[bytes]] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.setdefault(request.url.path, []).append(request.read())
        return super().handle_request(request)


def test_password_travels_byte_for_byte(sandbox: SandboxHandle, tmp_path: Path) -> None:
    """Spaces at both ends, non-ASCII, 100+ characters: exactly what the operator typed goes upstream."""
    recorder = RecordingTransport()
    app = make_console(sandbox, tmp_path, CMS_TRANSPORT=recorder)
    odd = "  pässwörd with spaces — ñ 🔐 " + "x" * 70 + "  "
    email, _ = new_operator(sandbox, password=odd)
    submit_password(app.test_client(), email, odd)
    sent = [json.loads(body) for body in recorder.bodies["/cms/rest/app/users/login"]]
    assert [body["password"] for body in sent] == [odd]


def test_a_long_unicode_password_signs_in(client: FlaskClient, sandbox: SandboxHandle) -> None:
    odd = "pässwörd with spaces — ñ 🔐 " + "x" * 70
    email, password = new_operator(sandbox, password=odd)
    done = sign_in(client, sandbox, email, password)
    assert done.headers["Location"].endswith(f"/p/{PARTNER_A}/")


# -- failures --------------------------------------------------------------------------------------


REFUSED = "The email or password is wrong, or this account cannot sign in right now."


_TIME = re.compile(r"<time\b[^>]*>[^<]*</time>")


def _normalised(response: TestResponse, email: str) -> str:
    """The page without what legitimately differs between two attempts: the CSRF token (wherever it
    appears), the email typed and any times shown."""
    html = response.get_data(as_text=True)
    # The token is signed with the second it was made in, and it also sits in the page's meta and hx-headers.
    html = html.replace(csrf_from(html), "…")
    return _TIME.sub("<time>…</time>", html).replace(email, "EMAIL")


_PER_REQUEST = {"set-cookie", "content-length", "x-request-id", "server-timing"}


def _answer_headers(response: TestResponse) -> dict[str, str]:
    """Headers minus those that differ on every request (new ids, measured durations)."""
    return {k: v for k, v in response.headers.items() if k.lower() not in _PER_REQUEST}


REFUSALS = {
    "unknown email": lambda sandbox: (f"nobody-{uuid.uuid4().hex[:8]}@test.migo", "Wrong-Password-1!"),
    "wrong password": lambda sandbox: (new_operator(sandbox)[0], "Wrong-Password-1!"),
    "locked, right password": lambda sandbox: new_operator(sandbox, locked=True),
    "locked, wrong password": lambda sandbox: (new_operator(sandbox, locked=True)[0], "Wrong-Password-1!"),
    "inactive, right password": lambda sandbox: new_operator(sandbox, status="inactive"),
}


def test_every_refused_password_gets_the_same_answer(client: FlaskClient, sandbox: SandboxHandle) -> None:
    """Unknown email, wrong password, locked or inactive account: same status, same page, same headers (no
    `Retry-After` for a lock), so nobody learns which accounts exist or are locked."""
    answers = {}
    for name, make in REFUSALS.items():
        email, password = make(sandbox)
        response = submit_password(client, email, password)
        assert password not in response.get_data(as_text=True)
        answers[name] = (response.status_code, _answer_headers(response), _normalised(response, email))
    first = answers["unknown email"]
    assert first[0] == 401
    assert REFUSED in first[2]
    assert "Retry-After" not in first[1]
    assert {name: answer == first for name, answer in answers.items()} == dict.fromkeys(REFUSALS, True)


def test_wrong_code_then_the_right_one(client: FlaskClient, sandbox: SandboxHandle) -> None:
    email, password = new_operator(sandbox)
    submit_password(client, email, password)
    code = sandbox.latest_otp(email)
    wrong = "000000" if code != "000000" else "111111"
    refused = submit_code(client, wrong)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "That code is wrong." in html
    assert wrong not in html.replace(code, "")
    accepted = submit_code(client, code)
    assert accepted.status_code in (302, 303)
    assert accepted.headers["Location"].endswith(f"/p/{PARTNER_A}/")


def test_a_voided_code_is_reported_as_expired(client: FlaskClient, sandbox: SandboxHandle) -> None:
    """Five wrong codes void the code upstream (8007): the operator is told to ask for a new one."""
    email, password = new_operator(sandbox)
    submit_password(client, email, password)
    code = sandbox.latest_otp(email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        submit_code(client, wrong)
    voided = submit_code(client, code)
    assert voided.status_code == 400
    assert "expired or was already used" in voided.get_data(as_text=True)


def test_resend_sends_a_fresh_code_that_works(client: FlaskClient, sandbox: SandboxHandle) -> None:
    email, password = new_operator(sandbox)
    submit_password(client, email, password)
    before = len(sandbox.mailbox(email))
    page = client.get("/auth/otp").get_data(as_text=True)
    resend_token = csrf_from(page[page.index("/auth/otp/resend") :])
    resent = client.post("/auth/otp/resend", data={"csrf_token": resend_token})
    assert resent.status_code in (302, 303)
    assert len(sandbox.mailbox(email)) == before + 1
    assert "We sent a new code" in client.get("/auth/otp").get_data(as_text=True)
    done = submit_code(client, sandbox.latest_otp(email))
    assert done.headers["Location"].endswith(f"/p/{PARTNER_A}/")


def test_code_page_needs_the_password_step(client: FlaskClient) -> None:
    response = client.get("/auth/otp")
    assert response.status_code in (302, 303)
    assert "/auth/login" in response.headers["Location"]


def test_a_used_code_cannot_be_replayed(client: FlaskClient, console: Flask, sandbox: SandboxHandle) -> None:
    email, password = new_operator(sandbox)
    submit_password(client, email, password)
    code = sandbox.latest_otp(email)
    page = client.get("/auth/otp").get_data(as_text=True)
    form = {"otp": code, "csrf_token": csrf_from(page)}
    assert client.post("/auth/otp", data=form).status_code in (302, 303)
    # The pre-sign-in session (and its CSRF secret) is gone: the very same form is refused outright...
    assert client.post("/auth/otp", data=form).status_code == 400
    # ...and with a valid token of the new session it only restarts the sign-in.
    fresh = csrf_from(client.get(f"/p/{PARTNER_A}/").get_data(as_text=True))
    replay = client.post("/auth/otp", data={"otp": code, "csrf_token": fresh})
    assert replay.status_code in (302, 303)
    assert "/auth/login" in replay.headers["Location"]


def test_pending_sign_in_expires_after_ten_minutes(client: FlaskClient, sandbox: SandboxHandle) -> None:
    email, password = new_operator(sandbox)
    with time_machine.travel(time.time(), tick=True) as traveller:
        submit_password(client, email, password)
        code = sandbox.latest_otp(email)
        page = client.get("/auth/otp").get_data(as_text=True)
        traveller.shift(601)
        late = client.post("/auth/otp", data={"otp": code, "csrf_token": csrf_from(page)})
    assert late.status_code in (302, 303)
    assert "reason=start_again" in late.headers["Location"]


# -- limits ----------------------------------------------------------------------------------------


def test_password_attempts_are_limited_per_email_across_addresses(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    app = make_console(sandbox, tmp_path, LOGIN_RATE_LIMIT="3 per minute")
    email, _ = new_operator(sandbox)
    statuses = []
    for n in range(4):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        statuses.append(submit_password(client, email.upper(), "Wrong-Password-1!"))
    assert [r.status_code for r in statuses[:3]] == [401, 401, 401]
    limited = statuses[3]
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert "Too many attempts." in limited.get_data(as_text=True)


def test_password_attempts_are_limited_per_address(sandbox: SandboxHandle, tmp_path: Path) -> None:
    app = make_console(sandbox, tmp_path, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    answers = [
        submit_password(client, f"x{n}-{uuid.uuid4().hex[:6]}@test.migo", "nope").status_code
        for n in range(3)
    ]
    assert answers == [401, 401, 429]


def test_code_attempts_are_limited(sandbox: SandboxHandle, tmp_path: Path) -> None:
    app = make_console(sandbox, tmp_path, OTP_RATE_LIMIT="2 per minute")
    client = app.test_client()
    email, password = new_operator(sandbox)
    submit_password(client, email, password)
    answers = [submit_code(client, "999999").status_code for _ in range(3)]
    assert answers == [400, 400, 429]


# -- known devices and other people's failures ----------------------------------------------------------


def _device_line(response: TestResponse) -> str | None:
    lines = [v for k, v in response.headers.items() if k.lower() == "set-cookie"]
    return next((line for line in lines if "known_device=" in line.split(";")[0]), None)


def _browser_with_mark(app: Flask, signed_in: FlaskClient, ip: str) -> FlaskClient:
    """A later visit from the owner's browser: the session is gone (timed out), the device mark is kept."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = ip
    mark = signed_in.get_cookie("known_device")
    assert mark is not None
    browser.set_cookie("known_device", mark.value)
    return browser


def _attack(app: Flask, email: str, attempts: int) -> list[int]:
    statuses = []
    for n in range(attempts):
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = f"10.9.0.{n + 1}"
        statuses.append(submit_password(attacker, email, "Wrong-Password-1!").status_code)
    return statuses


def test_failures_elsewhere_do_not_lock_a_known_device_out_of_the_console(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    app = make_console(sandbox, tmp_path, LOGIN_RATE_LIMIT="3 per minute", OTP_RATE_LIMIT="3 per minute")
    email, password = new_operator(sandbox)
    first = app.test_client()
    first.environ_base["REMOTE_ADDR"] = "10.1.0.1"
    sign_in(first, sandbox, email, password)

    assert _attack(app, email, 3) == [401, 401, 429]  # the first sign-in was one attempt too
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "10.2.0.1"
    assert submit_password(stranger, email, password).status_code == 429

    owner = _browser_with_mark(app, first, "10.1.0.2")
    done = sign_in(owner, sandbox, email, password)
    assert done.headers["Location"].endswith(f"/p/{PARTNER_A}/")


def test_a_device_mark_counts_only_for_its_own_email_and_only_when_intact(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    app = make_console(sandbox, tmp_path, LOGIN_RATE_LIMIT="2 per minute")
    email, password = new_operator(sandbox)
    other, other_password = new_operator(sandbox)
    first = app.test_client()
    sign_in(first, sandbox, email, password)
    assert _attack(app, other, 3)[-1] == 429
    assert _attack(app, email, 3)[-1] == 429

    borrowed = _browser_with_mark(app, first, "10.3.0.1")
    assert submit_password(borrowed, other, other_password).status_code == 429
    tampered = app.test_client()
    mark = first.get_cookie("known_device")
    assert mark is not None
    device, _, rest = mark.value.partition(":")
    tampered.set_cookie("known_device", device[::-1] + ":" + rest)
    assert submit_password(tampered, email, password).status_code == 429
    assert submit_password(borrowed, email, password).status_code in (302, 303)


def test_the_device_mark_is_set_after_the_code_and_carries_no_personal_data(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    app = make_console(sandbox, tmp_path, COOKIE_SECURE=True)
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    email, password = new_operator(sandbox)
    after_password = submit_password(client, email, password)
    assert _device_line(after_password) is None
    done = submit_code(client, sandbox.latest_otp(email))
    line = _device_line(done)
    assert line is not None
    name, value = line.split(";")[0].split("=", 1)
    attributes = {part.strip().lower() for part in line.split(";")[1:]}
    assert name == "__Host-known_device"
    assert {"httponly", "secure", "path=/", "samesite=lax"} <= attributes
    assert not any(a.startswith("domain") for a in attributes)
    assert any(a.startswith("max-age=") and int(a.split("=")[1]) >= 30 * 24 * 3600 for a in attributes)
    local = email.split("@")[0]
    assert local not in value.lower()
    assert email.split("@")[1] not in value.lower()


def test_the_cms_lock_still_holds_for_a_known_device_and_its_owner_is_mailed(
    client: FlaskClient, console: Flask, sandbox: SandboxHandle
) -> None:
    """What the console cannot guarantee (SECURITY.md): the CMS's own lock applies to every device; the owner
    learns of it by mail, and the page says nothing more than to anyone else."""
    email, password = new_operator(sandbox)
    sign_in(client, sandbox, email, password)
    assert _attack(console, email, 5) == [401] * 5  # the sandbox locks after 5 failures
    owner = _browser_with_mark(console, client, "10.1.0.9")
    refused = submit_password(owner, email, password)
    assert refused.status_code == 401
    assert REFUSED in refused.get_data(as_text=True)
    assert "Retry-After" not in refused.headers
    assert [m["purpose"] for m in sandbox.mailbox(email)] == ["lock_notice", "login"]


# -- next ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "%2F%2Fevil.example",
    ],
)
def test_next_only_accepts_same_site_paths(client: FlaskClient, sandbox: SandboxHandle, hostile: str) -> None:
    email, password = new_operator(sandbox)
    done = sign_in(client, sandbox, email, password, next_path=hostile)
    assert done.headers["Location"].endswith(f"/p/{PARTNER_A}/")


def test_next_returns_to_the_page_asked_for(client: FlaskClient, sandbox: SandboxHandle) -> None:
    # Two partners: without `next` the operator would land on the partner picker instead.
    email, password = new_operator(sandbox, partners=(PARTNER_A, PARTNER_B))
    asked = client.get(f"/p/{PARTNER_A}/")
    assert asked.status_code in (302, 303)
    assert "next=" in asked.headers["Location"]
    done = sign_in(client, sandbox, email, password, next_path=f"/p/{PARTNER_A}/")
    assert done.headers["Location"] == f"/p/{PARTNER_A}/"


# -- the sign-in page ------------------------------------------------------------------------------


def test_sign_in_page_shows_the_live_upstream(client: FlaskClient) -> None:
    html = client.get("/auth/login").get_data(as_text=True)
    assert "SANDBOX" in html
    assert "Connected to the CMS" in html
    # A public page: nothing about the console's own credentials (the app token's times).
    assert "<time" not in html
    assert "App token" not in html


def test_sign_in_page_in_spanish(client: FlaskClient) -> None:
    html = client.get("/auth/login", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Iniciar sesión" in html
    assert "Contraseña" in html


def test_code_page_links_the_sandbox_mailbox(client: FlaskClient, sandbox: SandboxHandle) -> None:
    email, password = new_operator(sandbox)
    submit_password(client, email, password)
    html = client.get("/auth/otp").get_data(as_text=True)
    assert f'href="{sandbox.root}/_sandbox/mailbox"' in html
    assert email not in html.split("_sandbox/mailbox")[1][:5]


def test_sign_in_outcomes_are_audited(client: FlaskClient, console: Flask, sandbox: SandboxHandle) -> None:
    from webapp.store.audit import recent_events

    email, password = new_operator(sandbox)
    submit_password(client, email, "Wrong-Password-1!")
    sign_in(client, sandbox, email, password)
    with console.app_context():
        events = [(e.action, e.outcome) for e in recent_events(target=email)]
    assert ("sign_in", "failure") in events
    assert ("sign_in", "success") in events
