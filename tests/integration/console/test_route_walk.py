"""Every rule of the console's URL map, walked: signed out, cross-site, on a partner not assigned and without
the permission. `test_shell_access.py` and `test_shell_csrf.py` hold the first cut (GET signed out, a missing
token); this walk adds every method, tokens from another session, and proof no refusal reached upstream."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.support.console import ALL_PERMISSIONS, operator_session
from tests.support.sandbox import SandboxHandle
from webapp.access import access_of

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Reachable without signing in. A new public route must be added here on purpose, after review.
PUBLIC_ALLOWLIST = frozenset(
    {
        "auth.login",
        "auth.otp",
        "auth.resend_otp",
        "auth.logout",
        "health.healthz",
        "health.readyz",
        "i18n.switch_language",
        "theme.switch_theme",  # a display preference, like the language: the sign-in page has it too
        "metrics.metrics",  # its own check: the monitoring's token or loopback, else 404 (test_metrics.py)
        "static",
    }
)


@pytest.fixture
def quiet_upstream(clean_faults: SandboxHandle) -> SandboxHandle:
    """The sandbox's call log, empty at the start: a refusal must leave it empty."""
    return clean_faults


def routes(app: Flask) -> Iterator[tuple[Rule, str]]:
    for rule in app.url_map.iter_rules():
        for method in METHODS:
            if method in (rule.methods or ()):
                yield rule, method


def build(app: Flask, rule: Rule, partner_id: int = 1) -> str:
    values: dict[str, object] = dict.fromkeys(rule.arguments, 1)
    if "partner_id" in values:
        values["partner_id"] = partner_id
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def csrf_token(client: FlaskClient) -> str:
    found = re.search(
        r'name="csrf-token" content="([^"]+)"', client.get("/no/such/page").get_data(as_text=True)
    )
    assert found is not None
    return found.group(1)


def send(client: FlaskClient, method: str, url: str, token: str | None, *, htmx: bool = False) -> int:
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"x": "1"}
    if token is not None and method in UNSAFE:
        headers["X-CSRFToken"] = token
    return client.open(url, method=method, data=data, headers=headers).status_code


def test_only_the_allowlist_is_public(console: Flask) -> None:
    public = {
        endpoint
        for endpoint, view in console.view_functions.items()
        if endpoint == "static" or (access_of(view) is not None and access_of(view).kind == "public")  # type: ignore[union-attr]
    }
    assert public == PUBLIC_ALLOWLIST & set(console.view_functions)
    assert "auth.login" in public  # the walk is over the real console


def test_signed_out_every_method_goes_to_sign_in(console: Flask, quiet_upstream: SandboxHandle) -> None:
    walked = 0
    for rule, method in routes(console):
        if rule.endpoint in PUBLIC_ALLOWLIST:
            continue
        url = build(console, rule)
        for token_kind in ("none", "valid"):
            client = console.test_client()
            token = csrf_token(client) if token_kind == "valid" else None
            page = client.open(url, method=method, data={"x": "1"}, headers=_csrf(method, token))
            assert page.status_code in {302, 303}, (method, url, token_kind)
            assert page.headers["Location"].startswith("/auth/login"), (method, url)
            fragment = client.open(
                url, method=method, data={"x": "1"}, headers={"HX-Request": "true", **_csrf(method, token)}
            )
            assert fragment.status_code == 401, (method, url, token_kind)
            assert fragment.headers["HX-Redirect"].startswith("/auth/login")
        walked += 1
    assert walked >= 40
    assert quiet_upstream.calls() == []


def _csrf(method: str, token: str | None) -> dict[str, str]:
    return {"X-CSRFToken": token} if token is not None and method in UNSAFE else {}


def test_a_token_from_another_session_is_refused_everywhere(
    console: Flask, quiet_upstream: SandboxHandle
) -> None:
    """A token is bound to its session: one stolen from another operator's page opens nothing."""
    other = console.test_client()
    operator_session(other, operator_id=990002)
    stolen = csrf_token(other)
    walked = 0
    for rule, method in routes(console):
        if method not in UNSAFE:
            continue
        client = console.test_client()
        operator_session(client)
        csrf_token(client)  # this session has a token of its own; the request carries the other one
        url = build(console, rule)
        for htmx in (False, True):
            response = client.open(
                url,
                method=method,
                data={"x": "1", "csrf_token": stolen},
                headers={"HX-Request": "true"} if htmx else {},
            )
            assert response.status_code == 400, (method, url, htmx)
        walked += 1
    assert walked >= 20
    assert quiet_upstream.calls() == []  # refused before any view could call upstream


def test_an_unassigned_partner_is_refused_on_every_partner_route(
    console: Flask, quiet_upstream: SandboxHandle
) -> None:
    client = console.test_client()
    operator_session(client, partners={1: "Banco Quetzal"})
    token = csrf_token(client)
    walked = 0
    for rule, method in routes(console):
        if "partner_id" not in rule.arguments:
            continue
        url = build(console, rule, partner_id=3)
        assert send(client, method, url, token) == 403, (method, url)
        assert send(client, method, url, token, htmx=True) == 403, (method, url)
        walked += 1
    assert walked >= 30
    assert quiet_upstream.calls() == []


def test_every_permissioned_route_is_refused_without_its_permission(
    console: Flask, quiet_upstream: SandboxHandle
) -> None:
    """Each route is tried by an operator holding every permission except the ones that route accepts."""
    walked = 0
    for rule, method in routes(console):
        access = access_of(console.view_functions[rule.endpoint])
        if access is None or access.kind != "requires":
            continue
        accepted = {f"{resource}:{action}" for resource, action in access.permissions}
        client = console.test_client()
        operator_session(client, permissions={1: ALL_PERMISSIONS - accepted})
        token = csrf_token(client)
        url = build(console, rule)
        assert send(client, method, url, token) == 403, (method, url, sorted(accepted))
        walked += 1
    assert walked >= 30
    assert quiet_upstream.calls() == []


def test_the_walk_reaches_views_when_access_is_granted(console: Flask, quiet_upstream: SandboxHandle) -> None:
    """The refusals above are the gate's, not a broken URL: with the permission, the same URL gets past it."""
    client = console.test_client()
    operator_session(client)
    response = client.get("/p/1/cardholders/")
    # The frame-only session has no upstream tokens, so the view's first upstream call ends it: past the gate.
    assert response.status_code not in {403, 404}
