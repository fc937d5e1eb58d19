"""Flask-Login holds the signed-in operator: `current_user`, the user loader, `login_user`/`logout_user` and
the unauthorized handler, seen through a real sign-in against the sandbox and Flask-Login's own signals."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import time_machine
from flask import Flask, jsonify, session
from flask.testing import FlaskClient
from flask_login import current_user, user_logged_in, user_logged_out, user_unauthorized

from tests.integration.console.test_auth_login import (
    PARTNER_A,
    csrf_from,
    new_operator,
    submit_code,
    submit_password,
)
from tests.support.auth import Auth
from tests.support.console import operator_session
from tests.support.sandbox import SandboxHandle
from webapp.access import Operator, PartnerRef, public
from webapp.auth.session_lifecycle import load_operator
from webapp.logging_setup import configure_logging

PROBE = "/test-whoami"
IDLE = 900
ABSOLUTE = 3600


def _add_probe(app: Flask) -> None:
    """A public page that says who Flask-Login thinks is signed in."""

    @public
    def whoami() -> Any:
        return jsonify({"authenticated": current_user.is_authenticated, "id": current_user.get_id()})

    app.add_url_rule(PROBE, "test_whoami", whoami)


pytestmark = pytest.mark.console(
    SESSION_IDLE_SECONDS=IDLE,
    SESSION_ABSOLUTE_SECONDS=ABSOLUTE,
    LOGIN_RATE_LIMIT="100 per minute",
    OTP_RATE_LIMIT="100 per minute",
)


@pytest.fixture(autouse=True)
def _probe(app: Flask) -> None:
    _add_probe(app)


@contextmanager
def caught(signal: Any, app: Flask) -> Iterator[list[str]]:
    """For each time `signal` fires for `app`: the operator's email, or "-" for no one."""
    seen: list[str] = []

    def receiver(sender: Flask, user: Any = None, **_: Any) -> None:
        seen.append(user.email if isinstance(user, Operator) else "-")

    with signal.connected_to(receiver, app):
        yield seen


def _whoami(client: FlaskClient) -> dict[str, Any]:
    answer = client.get(PROBE)
    assert answer.status_code == 200
    body: dict[str, Any] = answer.get_json()
    return body


def test_current_user_is_anonymous_until_the_code_then_the_operator(
    console: Flask, sandbox: SandboxHandle
) -> None:
    client = console.test_client()
    email, password = new_operator(sandbox)
    assert _whoami(client) == {"authenticated": False, "id": None}
    assert submit_password(client, email, password).headers["Location"].endswith("/auth/otp")
    assert _whoami(client) == {"authenticated": False, "id": None}  # a password alone signs nobody in
    with caught(user_logged_in, console) as logged_in:
        done = submit_code(client, sandbox.latest_otp(email))
    assert done.status_code in (302, 303)
    assert logged_in == [email]
    with client.session_transaction() as stored:
        operator_id = stored["operator"]["id"]
        assert stored["_user_id"] == str(operator_id)
        assert "_remember" not in stored  # login_user(remember=False)
    assert _whoami(client) == {"authenticated": True, "id": str(operator_id)}
    assert client.get_cookie("remember_token") is None


OPERATOR = Operator(
    id=41,
    email="loader@demo.migo",
    name="Loader",
    is_admin=False,
    otp_elevation=True,
    partners=(PartnerRef(PARTNER_A, "Banco Quetzal"),),
    permissions={PARTNER_A: frozenset({"cardholders:list"})},
)


def test_the_user_loader_accepts_only_this_sessions_own_live_record(console: Flask) -> None:
    with console.test_request_context("/"):
        assert load_operator("41") is None  # no record in this session
        now = time.time()
        session.update({"operator": OPERATOR.to_dict(), "created_at": now, "last_seen": now})
        assert load_operator("41") == OPERATOR
        assert load_operator("42") is None  # another id is never looked up elsewhere
        session["last_seen"] = now - IDLE - 1
        assert load_operator("41") is None  # idle
        session.update({"last_seen": now, "created_at": now - ABSOLUTE - 1})
        assert load_operator("41") is None  # past the absolute limit


def test_a_session_id_without_its_record_is_anonymous(console: Flask) -> None:
    client = console.test_client()
    operator_session(client)
    assert _whoami(client)["authenticated"] is True
    with client.session_transaction() as stored:
        del stored["operator"]  # Flask-Login's id is left, the record it must come from is not
    assert _whoami(client) == {"authenticated": False, "id": None}
    refused = client.get(f"/p/{PARTNER_A}/")
    assert refused.status_code == 302
    assert "/auth/login" in refused.headers["Location"]


def test_sign_out_goes_through_logout_user(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client, email = auth.sign_in()
    token = csrf_from(client.get("/auth/partners").get_data(as_text=True))
    with caught(user_logged_out, console) as logged_out:
        response = client.post("/auth/logout", data={"csrf_token": token})
    assert "reason=signed_out" in response.headers["Location"]
    assert logged_out == [email]
    assert _whoami(client) == {"authenticated": False, "id": None}


def test_an_idle_timeout_goes_through_logout_user(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client = auth.sign_in().client
    with client.session_transaction() as stored:
        operator_id = stored["operator"]["id"]
    written = io.StringIO()
    configure_logging(console, written)
    with time_machine.travel(time.time(), tick=True) as clock:
        clock.shift(IDLE + 1)
        with caught(user_logged_out, console) as logged_out:
            response = client.get(f"/p/{PARTNER_A}/")
    assert "reason=idle" in response.headers["Location"]
    assert logged_out == ["-"]  # logout_user ran; the lapsed operator was refused by the loader, not loaded
    assert _whoami(client) == {"authenticated": False, "id": None}
    ended = [json.loads(line) for line in written.getvalue().splitlines() if '"session_ended"' in line]
    assert [(line["reason"], line["actor_id"]) for line in ended] == [("idle", operator_id)]


def test_the_gate_hands_a_signed_out_visitor_to_flask_login(console: Flask) -> None:
    client = console.test_client()
    with caught(user_unauthorized, console) as refused:
        page = client.get(f"/p/{PARTNER_A}/cardholders/?q=ana")
        fragment = client.get(f"/p/{PARTNER_A}/cardholders/", headers={"HX-Request": "true"})
    assert len(refused) == 2
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/auth/login?next=")
    assert "q%3Dana" in page.headers["Location"]
    assert fragment.status_code == 401
    assert fragment.headers["HX-Redirect"].startswith("/auth/login?next=")
