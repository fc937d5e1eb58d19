"""The partner dashboard: figures fetched in parallel, hidden without permission, failing one by one."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.integration.console.test_auth_login import PARTNER_A, PARTNER_B
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle

EVERYTHING = ["balance-management:list", "cardholders:list", "approvals:list"]


pytestmark = pytest.mark.console(LOGIN_RATE_LIMIT="100 per minute")


@pytest.fixture
def faults(clean_faults: SandboxHandle) -> SandboxHandle:
    return clean_faults


def _panels(html: str) -> set[str]:
    return set(re.findall(r'data-testid="panel-([a-z_]+)"', html))


def test_all_three_figures(console: Flask, sandbox: SandboxHandle, faults: SandboxHandle, auth: Auth) -> None:
    client = auth.sign_in(EVERYTHING).client
    page = client.get(f"/p/{PARTNER_A}/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert _panels(html) == {"balance", "cardholders", "pending_requests"}
    assert "Unavailable right now" not in html
    assert re.search(r"[\d,]+\.\d\d <span class=\"panel-unit\">GTQ</span>", html)
    assert len(faults.calls(f"GET /app/partners/{PARTNER_A}/balance")) == 1
    assert len(faults.calls(f"GET /app/partners/{PARTNER_A}/cardholders")) == 1
    assert len(faults.calls(f"GET /app/partners/{PARTNER_A}/process-requests")) == 1


def test_the_figures_are_fetched_in_parallel(
    console: Flask, sandbox: SandboxHandle, faults: SandboxHandle, auth: Auth
) -> None:
    """Each call is held 400 ms upstream; the three overlap in time instead of queuing."""
    client = auth.sign_in(EVERYTHING).client
    faults.clear_calls()
    for route in ("balance", "cardholders", "process-requests"):
        faults.set_fault(f"GET /app/partners/{PARTNER_A}/{route}", "delay", ms=400)
    assert client.get(f"/p/{PARTNER_A}/").status_code == 200
    spans = []
    for route in ("balance", "cardholders", "process-requests"):
        (call,) = faults.calls(f"GET /app/partners/{PARTNER_A}/{route}")
        spans.append((call["at"] - call["durationMs"] / 1000, call["at"]))
    latest_start = max(start for start, _ in spans)
    earliest_end = min(end for _, end in spans)
    assert latest_start < earliest_end


def test_panels_without_permission_are_not_shown_or_fetched(
    console: Flask, sandbox: SandboxHandle, faults: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(["cardholders:list"]).client
    faults.clear_calls()
    html = client.get(f"/p/{PARTNER_A}/").get_data(as_text=True)
    assert _panels(html) == {"cardholders"}
    assert faults.calls(f"GET /app/partners/{PARTNER_A}/balance") == []
    assert faults.calls(f"GET /app/partners/{PARTNER_A}/process-requests") == []


def test_no_permission_at_all_explains_itself(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client = auth.sign_in(["users:list"]).client
    html = client.get(f"/p/{PARTNER_A}/").get_data(as_text=True)
    assert _panels(html) == set()
    assert 'data-testid="no-panels"' in html


def test_one_failing_figure_leaves_the_others(
    console: Flask, sandbox: SandboxHandle, faults: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(EVERYTHING).client
    faults.set_fault(f"GET /app/partners/{PARTNER_A}/balance", "status", status=500)
    page = client.get(f"/p/{PARTNER_A}/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    balance = html[html.index('data-testid="panel-balance"') : html.index('data-testid="panel-cardholders"')]
    assert "Unavailable right now" in balance
    assert html.count("Unavailable right now") == 1


def test_everything_failing_still_renders_the_page(
    console: Flask, sandbox: SandboxHandle, faults: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(EVERYTHING).client
    faults.set_fault(f"GET /app/partners/{PARTNER_A}/*", "html")
    page = client.get(f"/p/{PARTNER_A}/")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("Unavailable right now") == 3


def test_a_partner_that_is_not_yours(
    console: Flask, sandbox: SandboxHandle, faults: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(EVERYTHING).client
    faults.clear_calls()
    assert client.get(f"/p/{PARTNER_B}/").status_code == 403
    assert faults.calls(f"GET /app/partners/{PARTNER_B}/*") == []


def test_root_goes_to_the_only_partner(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client = auth.sign_in(EVERYTHING).client
    answer = client.get("/")
    assert answer.headers["Location"].endswith(f"/p/{PARTNER_A}/")


def test_root_remembers_the_last_partner(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client = auth.sign_in(EVERYTHING, partners=(PARTNER_A, PARTNER_B)).client
    assert client.get("/").headers["Location"].endswith("/auth/partners")
    client.get(f"/p/{PARTNER_B}/")
    assert client.get("/").headers["Location"].endswith(f"/p/{PARTNER_B}/")


def test_root_without_sign_in_goes_to_sign_in(console: Flask) -> None:
    answer = console.test_client().get("/")
    assert "/auth/login" in answer.headers["Location"]


def test_dashboard_in_spanish(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client = auth.sign_in(EVERYTHING).client
    html = client.get(f"/p/{PARTNER_A}/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Saldo disponible" in html
    assert "Tarjetahabientes" in html
