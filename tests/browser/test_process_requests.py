"""Four eyes in a real browser: one operator requests a top-up with a PDF, another approves it, the balance
shows the new amount; the requester cannot approve their own request."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD, give_code, new_operator, shoot
from tests.support.sandbox import SandboxHandle

PARTNER = 1
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _balance(page: Any) -> Decimal:
    text = page.get_by_test_id("balance-figure").inner_text()
    return Decimal(re.sub(r"[^\d.]", "", text))


def test_request_then_approve_by_another_operator(
    page_factory: Callable[..., tuple[Any, Any]],
    signed_in_page: Callable[..., Any],
    console_url: str,
    sandbox: SandboxHandle,
    tmp_path: Path,
) -> None:
    maker_email = new_operator(
        sandbox,
        "Ana Solicitante",
        ["balance-management:create", "balance-management:list", "approvals:update"],
    )
    checker_email = new_operator(
        sandbox,
        "Bruno Revisor",
        ["approvals:list", "approvals:detail", "approvals:update", "balance-management:list"],
    )
    evidence = tmp_path / "transfer-receipt.pdf"
    evidence.write_bytes(PDF)

    maker, _ = page_factory()
    signed_in_page(maker_email, OPERATOR_PASSWORD, target=maker)
    maker.goto(f"{console_url}/p/{PARTNER}/top-ups/")
    before = _balance(maker)
    shoot(maker, "pr-01-list")
    maker.get_by_test_id("new-topup").click()
    maker.get_by_label("Amount").fill("0")
    maker.get_by_label("Observations").fill("Deposit 8841 at Banco Industrial")
    maker.get_by_label("Evidence file").set_input_files(str(evidence))
    maker.get_by_test_id("send-topup").click()
    expect(maker.locator("#amount-error")).to_contain_text("greater than zero")
    expect(maker.get_by_test_id("staged-evidence")).to_contain_text("transfer-receipt.pdf")
    expect(maker.get_by_label("Observations")).to_have_value("Deposit 8841 at Banco Industrial")
    shoot(maker, "pr-02-form-error-file-kept")
    maker.get_by_label("Amount").fill("2,500.75")
    give_code(maker, sandbox, maker_email)
    maker.get_by_test_id("send-topup").click()
    maker.wait_for_url(re.compile(r".*/top-ups/\d+$"))
    expect(maker.locator(".toast-success")).to_contain_text("2,500.75 GTQ")
    expect(maker.get_by_test_id("own-request")).to_be_visible()
    expect(maker.get_by_test_id("approve")).to_have_count(0)
    request_url = maker.url
    shoot(maker, "pr-03-detail-requester")
    maker.goto(request_url + "/approve")
    expect(maker.get_by_test_id("self-decision")).to_be_visible()
    shoot(maker, "pr-04-self-approval-refused")

    checker, _ = page_factory()
    signed_in_page(checker_email, OPERATOR_PASSWORD, target=checker)
    checker.goto(request_url)
    expect(checker.get_by_test_id("evidence-pdf")).to_be_visible()
    shoot(checker, "pr-05-detail-approver")
    checker.get_by_test_id("approve").click()
    expect(checker.get_by_test_id("consequence")).to_contain_text("2,500.75 GTQ")
    checker.get_by_label("Reason").fill("Deposit confirmed")
    give_code(checker, sandbox, checker_email)
    shoot(checker, "pr-06-confirm-approve")
    checker.get_by_test_id("confirm").click()
    checker.wait_for_url(request_url)
    expect(checker.locator(".page-header").get_by_test_id("status")).to_contain_text("Approved")
    expect(checker.locator(".toast-success")).to_contain_text("The available balance is now")
    shoot(checker, "pr-07-approved")

    checker.goto(f"{console_url}/p/{PARTNER}/top-ups/")
    assert _balance(checker) == before + Decimal("2500.75")
    shoot(checker, "pr-08-list-after")


def test_spanish_screens(
    signed_in_page: Callable[..., Any], console_url: str, sandbox: SandboxHandle, page: Any
) -> None:
    email = new_operator(sandbox, "Carmen Pérez", ["balance-management:create", "balance-management:list"])
    signed_in_page(email, OPERATOR_PASSWORD)
    page.goto(f"{console_url}/p/{PARTNER}/top-ups/new")
    page.get_by_role("button", name="ES", exact=True).click()
    expect(page.get_by_role("heading", name="Nueva solicitud de recarga")).to_be_visible()
    # es_GT (the default SPANISH_LOCALE) writes 1,234.56: the comma-decimal style is named, not guessed.
    page.get_by_label("Monto").fill("1.234,56")
    page.get_by_test_id("send-topup").click()
    expect(page.locator("#amount-error")).to_contain_text("otro formato numérico")
    expect(page.locator("#amount-error")).to_contain_text("1,234.56")
    shoot(page, "pr-09-form-es")
