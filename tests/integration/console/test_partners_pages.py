"""Partners: the operator's assigned partners with detail and balance, balances only where permitted."""

from __future__ import annotations

import pytest

from tests.integration.console.test_users_pages import ACCESS_SETTINGS
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle

pytestmark = pytest.mark.console(**ACCESS_SETTINGS)


def test_lists_only_assigned_partners_with_balance_where_allowed(
    auth: Auth, sandbox: SandboxHandle
) -> None:
    op = auth.sign_in({1: ["balance-management:list"], 3: ["cardholders:list"]})
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


def test_partner_detail_with_balance(auth: Auth) -> None:
    op = auth.sign_in({1: ["approvals:list"]})
    html = op.client.get("/p/1/partner").get_data(as_text=True)
    assert "Banco Quetzal, S.A." in html
    assert "GTQ" in html


def test_partner_detail_without_balance_permission(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({1: ["cardholders:list"]})
    sandbox.clear_calls()
    html = op.client.get("/p/1/partner").get_data(as_text=True)
    assert "Your permissions do not include the balance." in html
    assert sandbox.calls("GET /app/partners/1/balance") == []


def test_a_partner_that_is_not_yours(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({1: ["cardholders:list"]})
    sandbox.clear_calls()
    assert op.client.get("/p/2/partner").status_code == 403
    assert sandbox.calls("GET /app/partners/2") == []


def test_one_failing_balance_leaves_the_rest(auth: Auth, clean_faults: SandboxHandle) -> None:
    op = auth.sign_in({1: ["balance-management:list"], 2: ["balance-management:list"]})
    clean_faults.set_fault("GET /app/partners/2/balance", "status", status=500)
    html = op.client.get("/partners/").get_data(as_text=True)
    assert "Unavailable right now" in html[html.index('data-testid="partner-2"') :].split("</tr>")[0]
    assert "GTQ" in html[html.index('data-testid="partner-1"') :].split("</tr>")[0]
