"""The console under test, as a fixture chain: `app` (a console wired to the run's sandbox), `client` (a test
client of it, signed out) and `auth` (signs fresh operators in through its pages).

A module or test sets the console's settings with the `console` marker (the nearest wins), and signs in as a
role, a list of permissions held on each partner (partner 1 unless named):

    pytestmark = pytest.mark.console(LOGIN_RATE_LIMIT="100 per minute")

    def test_something(auth: Auth) -> None:
        client, email = auth.sign_in(["cardholders:list"], partners=(1, 2))

`make_app(**settings)` makes another console in the same test folder, for tests that compare settings.
The consoles talk to `upstream`: the run's `sandbox`, unless a module overrides it
(tests/integration/console/test_documented_cms.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.auth import Auth
from tests.support.console import make_console, marked_settings
from tests.support.sandbox import SandboxHandle


@pytest.fixture
def app_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The settings of every `console` marker on the test, its class and its module (the nearest wins)."""
    return marked_settings(request.node)


@pytest.fixture
def upstream(sandbox: SandboxHandle) -> SandboxHandle:
    return sandbox


@pytest.fixture
def make_app(upstream: SandboxHandle, tmp_path: Path) -> Callable[..., Flask]:
    def make(**overrides: Any) -> Flask:
        return make_console(upstream, tmp_path, **overrides)

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask], app_overrides: dict[str, Any]) -> Flask:
    """A fresh console (its own sessions, store and rate-limit counters) with the test's settings."""
    return make_app(**app_overrides)


@pytest.fixture
def console(app: Flask) -> Flask:
    """`app` under the name the console's tests give it."""
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(app: Flask, upstream: SandboxHandle) -> Auth:
    return Auth(app, upstream)
