"""Signing in to a console under test through its own pages, against the run's sandbox.

The steps (`submit_password`, `submit_code`, `sign_in`) are what a browser does; `Auth` puts them together
for tests about something else: a fresh sandbox operator holding a role, signed in on a test client. The
`auth` fixture (tests/integration/console/conftest.py) hands one out for the test's console.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.console import stepped_up
from tests.support.sandbox import SandboxHandle

PARTNER_A = 1
PARTNER_B = 2
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def new_operator(
    sandbox: SandboxHandle,
    *,
    partners: tuple[int, ...] = (PARTNER_A,),
    permissions: dict[int, list[str]] | None = None,
    password: str = "Correct-Horse-42!",
    **spec: Any,
) -> tuple[str, str]:
    """A fresh operator in the sandbox, so no test shares lockout counters or codes with another."""
    email = f"op-{uuid.uuid4().hex[:12]}@test.migo"
    grants = permissions if permissions is not None else {pid: ["cardholders:list"] for pid in partners}
    sandbox.create_user(
        email=email,
        password=password,
        partners=list(partners),
        permissions={str(pid): perms for pid, perms in grants.items()},
        **spec,
    )
    return email, password


def submit_password(
    client: FlaskClient, email: str, password: str, next_path: str | None = None
) -> TestResponse:
    url = "/auth/login" + (f"?next={next_path}" if next_path else "")
    page = client.get(url)
    form = {"email": email, "password": password, "csrf_token": csrf_from(page.get_data(as_text=True))}
    hidden_next = re.search(r'id="next" name="next"[^>]*?value="([^"]*)"', page.get_data(as_text=True))
    if hidden_next:
        form["next"] = hidden_next.group(1)
    return client.post("/auth/login", data=form)


def submit_code(client: FlaskClient, code: str) -> TestResponse:
    page = client.get("/auth/otp")
    assert page.status_code == 200, page.status_code
    return client.post("/auth/otp", data={"otp": code, "csrf_token": csrf_from(page.get_data(as_text=True))})


def sign_in(
    client: FlaskClient, sandbox: SandboxHandle, email: str, password: str, next_path: str | None = None
) -> TestResponse:
    first = submit_password(client, email, password, next_path)
    assert first.status_code in (302, 303), first.get_data(as_text=True)
    assert first.headers["Location"].endswith("/auth/otp")
    return submit_code(client, sandbox.latest_otp(email))


Role = Sequence[str] | Mapping[int, Sequence[str]]
"""What an operator may do: permissions held on each of its partners, or per partner."""


class Signed:
    """A console test client signed in as a fresh sandbox operator. Unpacks as `(client, email)`."""

    def __init__(self, client: FlaskClient, email: str, password: str, done: TestResponse) -> None:
        self.client, self.email, self.password, self.done = client, email, password, done

    @property
    def user_id(self) -> int:
        with self.client.session_transaction() as session:
            return int(session["operator"]["id"])

    def __iter__(self) -> Iterator[Any]:
        return iter((self.client, self.email))


class Auth:
    """Signs fresh operators in to `app` through its sign-in pages (password, then the mailed code)."""

    def __init__(self, app: Flask, sandbox: SandboxHandle) -> None:
        self.app, self.sandbox = app, sandbox

    def sign_in(
        self,
        role: Role = ("cardholders:list",),
        *,
        partners: tuple[int, ...] | None = None,
        client: FlaskClient | None = None,
        ip: str | None = None,
        step_up: bool = False,
        **spec: Any,
    ) -> Signed:
        """A fresh operator holding `role` (on each of `partners`, partner A when not named; or per partner
        when `role` maps partner ids to permissions), signed in on `client` or a new one from `ip`; `spec`
        goes to the sandbox's user (e.g. `otpElevation`). `step_up` records a step-up just made
        (`tests.support.console.stepped_up`), for tests about something else than the code."""
        if isinstance(role, Mapping):
            grants = {pid: list(perms) for pid, perms in role.items()}
            partners = partners if partners is not None else tuple(sorted(grants))
        else:
            partners = partners if partners is not None else (PARTNER_A,)
            grants = {pid: list(role) for pid in partners}
        client = client if client is not None else self.app.test_client()
        if ip is not None:
            client.environ_base["REMOTE_ADDR"] = ip
        email, password = new_operator(self.sandbox, partners=partners, permissions=grants, **spec)
        done = sign_in(client, self.sandbox, email, password)
        assert done.status_code in (302, 303), done.get_data(as_text=True)
        if step_up:
            stepped_up(client)
        return Signed(client, email, password, done)

    def sign_out(self, client: FlaskClient) -> TestResponse:
        """Press "Sign out" in the frame."""
        token = csrf_from(client.get("/auth/partners").get_data(as_text=True))
        return client.post("/auth/logout", data={"csrf_token": token})
