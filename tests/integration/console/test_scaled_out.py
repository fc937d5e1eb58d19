"""Two console nodes sharing Redis and PostgreSQL behave as one console: nothing lives in a node's memory.

Sign in on node A, continue on node B with the same cookie, sign out on B, and A refuses that cookie. Needs
the shared services; skipped with the reason when they are not reachable, and a failure under CI (CI=true).
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.console.test_auth_login import PARTNER_A, csrf_from, new_operator, sign_in
from tests.integration.console.test_cardholders_detail import REVEALER, send_code
from tests.integration.console.test_cardholders_list import seeded_cardholder
from tests.support.console import console_config
from tests.support.sandbox import SandboxHandle
from tests.support.servers import LiveServer

pytestmark = pytest.mark.scaled

REDIS_URL = os.environ.get("SCALED_REDIS_URL", "redis://127.0.0.1:6379/3")
DATABASE_URL = os.environ.get("SCALED_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _require_services() -> None:
    missing = [
        name
        for name, (host, port) in {"Redis": ("127.0.0.1", 6379), "PostgreSQL": ("127.0.0.1", 5432)}.items()
        if not _reachable(host, port)
    ]
    if not missing:
        return
    reason = f"{' and '.join(missing)} not reachable on 127.0.0.1 (needed for the scaled-out test)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _two_node_configs(sandbox: SandboxHandle, tmp_path: Path, **extra: Any) -> list[dict[str, Any]]:
    """Two consoles sharing one secret, Redis and database: the configuration of one scaled-out site."""
    shared = {
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": DATABASE_URL,
        "LOGIN_RATE_LIMIT": "100 per minute",
        "OTP_RATE_LIMIT": "100 per minute",
        **extra,
    }
    config_a = console_config(sandbox, tmp_path / "a", **shared)
    config_b = console_config(sandbox, tmp_path / "b", **shared, SECRET_KEY=config_a["SECRET_KEY"])
    return [config_a, config_b]


@pytest.fixture
def nodes(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two console apps with one configuration (same secret, Redis and database), each on its own port."""
    _require_services()
    from webapp import create_app

    servers = [LiveServer(create_app(config)).start() for config in _two_node_configs(sandbox, tmp_path)]
    try:
        yield servers[0].url, servers[1].url
    finally:
        for server in servers:
            server.stop()


def _post_form(client: httpx.Client, url: str, page_url: str, fields: dict[str, str]) -> httpx.Response:
    page = client.get(page_url)
    return client.post(url, data={**fields, "csrf_token": csrf_from(page.text)})


def test_one_session_across_two_nodes(nodes: tuple[str, str], sandbox: SandboxHandle) -> None:
    url_a, url_b = nodes
    email, password = new_operator(sandbox, permissions={PARTNER_A: ["cardholders:list", "approvals:list"]})
    with httpx.Client(base_url=url_a, follow_redirects=False, timeout=30) as node_a:
        step = _post_form(node_a, "/auth/login", "/auth/login", {"email": email, "password": password})
        assert step.status_code == 303, step.text
        done = _post_form(node_a, "/auth/otp", "/auth/otp", {"otp": sandbox.latest_otp(email)})
        assert done.headers["location"] == f"/p/{PARTNER_A}/"
        cookie_name = next(iter(node_a.cookies.keys()))
        cookie = node_a.cookies[cookie_name]
        assert node_a.get(f"/p/{PARTNER_A}/").status_code == 200

        with httpx.Client(base_url=url_b, follow_redirects=False, timeout=30) as node_b:
            node_b.cookies.set(cookie_name, cookie)
            on_b = node_b.get(f"/p/{PARTNER_A}/")
            assert on_b.status_code == 200, on_b.headers.get("location")
            assert re.search(r'data-testid="panel-cardholders"', on_b.text)

            signed_out = _post_form(node_b, "/auth/logout", f"/p/{PARTNER_A}/", {})
            assert signed_out.status_code == 303
            assert signed_out.headers["clear-site-data"] == '"cache", "cookies", "storage"'

        node_a.cookies.clear()
        node_a.cookies.set(cookie_name, cookie)
        refused = node_a.get(f"/p/{PARTNER_A}/")
        assert refused.status_code in (302, 303)
        assert "/auth/login" in refused.headers["location"]


def test_rate_limits_are_counted_across_nodes(sandbox: SandboxHandle, tmp_path: Path) -> None:
    """Three wrong passwords split over two nodes hit a limit of three: the counter is shared in Redis."""
    _require_services()
    from webapp import create_app

    tag = uuid.uuid4().hex[:8]
    shared = {"REDIS_URL": REDIS_URL, "DATABASE_URL": DATABASE_URL, "LOGIN_RATE_LIMIT": "3 per minute"}
    config_a = console_config(sandbox, tmp_path / "a", **shared)
    config_b = console_config(sandbox, tmp_path / "b", **shared, SECRET_KEY=config_a["SECRET_KEY"])
    apps = [create_app(config_a), create_app(config_b)]
    email = f"limit-{tag}@test.migo"
    statuses = []
    for attempt in range(4):
        client = apps[attempt % 2].test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.9.{attempt}.1"  # a different address each time
        page = client.get("/auth/login")
        answer = client.post(
            "/auth/login",
            data={"email": email, "password": "nope", "csrf_token": csrf_from(page.get_data(as_text=True))},
        )
        statuses.append(answer.status_code)
    assert statuses == [401, 401, 401, 429]


def test_refused_step_up_codes_are_counted_across_nodes(sandbox: SandboxHandle, tmp_path: Path) -> None:
    """Two refused step-up codes on node A use up a limit of two for that address: node B refuses the next
    code from it with 429 before asking the CMS."""
    _require_services()
    from webapp import create_app

    apps = [
        create_app(config)
        for config in _two_node_configs(sandbox, tmp_path, STEP_UP_RATE_LIMIT="2 per minute")
    ]
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"  # fresh counters for this run
    person = seeded_cardholder(sandbox)
    url = f"/p/{PARTNER_A}/cardholders/{person['cardholderId']}"
    answers = []
    for node, code in ((0, "000000"), (0, "000001"), (1, None)):
        client = apps[node].test_client()
        client.environ_base["REMOTE_ADDR"] = address
        email, password = new_operator(sandbox, permissions={PARTNER_A: REVEALER})
        sign_in(client, sandbox, email, password)
        token = csrf_from(client.get(url).get_data(as_text=True))
        otp = code or send_code(client, sandbox, email, token)
        answers.append(client.post(f"{url}/reveal", data={"csrf_token": token, "otp": otp}).status_code)
    assert answers == [422, 422, 429]


def _sidebar_names(client: httpx.Client, path: str) -> list[str]:
    page = client.get(path)
    assert page.status_code == 200, page.headers.get("location")
    block = page.text.split('data-testid="saved-views-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a class="nav-link sv-link[^"]*" href="[^"]+"[^>]*>([^<]+)', block)


def test_a_view_saved_on_one_node_is_in_the_sidebar_of_the_next_page_on_the_other(
    nodes: tuple[str, str], sandbox: SandboxHandle
) -> None:
    """Each node keeps the sidebar's saved views for a while (webapp/saved_views/menu_cache.py); the
    operator's own save moves a revision in the shared session, so the other node reads the store again."""
    url_a, url_b = nodes
    listing = f"/p/{PARTNER_A}/cardholders/"
    email, password = new_operator(sandbox, permissions={PARTNER_A: ["cardholders:list"]})
    name = f"Closed {uuid.uuid4().hex[:6]}"
    with (
        httpx.Client(base_url=url_a, follow_redirects=False, timeout=30) as node_a,
        httpx.Client(base_url=url_b, follow_redirects=False, timeout=30) as node_b,
    ):
        _post_form(node_a, "/auth/login", "/auth/login", {"email": email, "password": password})
        _post_form(node_a, "/auth/otp", "/auth/otp", {"otp": sandbox.latest_otp(email)})
        for cookie_name, value in node_a.cookies.items():
            node_b.cookies.set(cookie_name, value)
        assert name not in _sidebar_names(node_b, listing)  # node B now holds the sidebar without it

        saved = _post_form(
            node_a,
            f"/p/{PARTNER_A}/views/",
            listing,
            {"name": name, "list_key": "cardholders", "query": "status=closed"},
        )
        assert saved.status_code == 303, saved.text
        assert name in _sidebar_names(node_b, listing)
