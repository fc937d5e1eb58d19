"""Partners: the operator's assigned partners with detail and balance, balances only where permitted."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests.integration.console.test_users_pages import (
    SignIn,
    access_console,
    sign_in_factory,
)
from tests.support.sandbox import SandboxHandle


@pytest.fixture
def console(sandbox: SandboxHandle, tmp_path: Path) -> Flask:
    return access_console(sandbox, tmp_path)


@pytest.fixture
def signed_in(console: Flask, sandbox: SandboxHandle) -> SignIn:
    return sign_in_factory(console, sandbox)


def test_lists_only_assigned_partners_with_balance_where_allowed(
    signed_in: SignIn, sandbox: SandboxHandle
) -> None:
    op = signed_in({1: ["balance-management:list"], 3: ["cardholders:list"]})
    sandbox.clear_calls()
    page = op.client.get("/partners/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Banco Quetzal" in html
    assert "Cooperativa Altiplano" in html
    assert "Fintech Maya" not in html
    row_1 = html[html.index('data-testid="partner-1"') :].split("</tr>")[0]
    row_3 = html[html.index('data-testid="partner-3"') :].split("</tr>")[0]
    assert "GTQ" in row_1
    assert "GTQ" not in row_3
    assert sandbox.calls("GET /app/partners/3/balance") == []


def test_partner_detail_with_balance(signed_in: SignIn) -> None:
    op = signed_in({1: ["approvals:list"]})
    html = op.client.get("/p/1/partner").get_data(as_text=True)
    assert "Banco Quetzal, S.A." in html
    assert "GTQ" in html


def test_partner_detail_without_balance_permission(signed_in: SignIn, sandbox: SandboxHandle) -> None:
    op = signed_in({1: ["cardholders:list"]})
    sandbox.clear_calls()
    html = op.client.get("/p/1/partner").get_data(as_text=True)
    assert "Your permissions do not include the balance." in html
    assert sandbox.calls("GET /app/partners/1/balance") == []


def test_a_partner_that_is_not_yours(signed_in: SignIn, sandbox: SandboxHandle) -> None:
    op = signed_in({1: ["cardholders:list"]})
    sandbox.clear_calls()
    assert op.client.get("/p/2/partner").status_code == 403
    assert sandbox.calls("GET /app/partners/2") == []


def test_one_failing_balance_leaves_the_rest(signed_in: SignIn, clean_faults: SandboxHandle) -> None:
    op = signed_in({1: ["balance-management:list"], 2: ["balance-management:list"]})
    clean_faults.set_fault("GET /app/partners/2/balance", "status", status=500)
    html = op.client.get("/partners/").get_data(as_text=True)
    assert "Unavailable right now" in html[html.index('data-testid="partner-2"') :].split("</tr>")[0]
    assert "GTQ" in html[html.index('data-testid="partner-1"') :].split("</tr>")[0]
