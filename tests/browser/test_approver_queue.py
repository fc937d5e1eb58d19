"""An approver's morning in a real browser: the dashboard says what waits for them, the queue lists it, and
one screen holds the amount, the evidence, the history and the decision itself (English and Spanish)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD, give_code, new_operator, shoot
from tests.browser.test_accessibility import axe_violations
from tests.integration.console.test_process_requests_create import png_bytes
from tests.support.sandbox import SandboxHandle

PARTNER = 1


def _send_top_up(page: Any, console_url: str, sandbox: SandboxHandle, email: str, evidence: Path) -> int:
    page.goto(f"{console_url}/p/{PARTNER}/top-ups/new")
    page.get_by_label("Amount").fill("4,321.00")
    page.get_by_label("Observations").fill("Deposit 5521 at Banco Industrial")
    page.get_by_label("Evidence file").set_input_files(str(evidence))
    give_code(page, sandbox, email)
    page.get_by_test_id("send-topup").click()
    page.wait_for_url(re.compile(r".*/top-ups/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_dashboard_to_queue_to_one_screen_decision(
    page_factory: Callable[..., tuple[Any, Any]],
    signed_in_page: Callable[..., Any],
    console_url: str,
    sandbox: SandboxHandle,
    tmp_path: Path,
) -> None:
    maker_email = new_operator(
        sandbox, "Ana Solicitante", ["balance-management:create", "balance-management:list"]
    )
    checker_email = new_operator(
        sandbox,
        "Bruno Revisor",
        ["approvals:list", "approvals:detail", "approvals:update", "balance-management:list"],
    )
    evidence = tmp_path / "deposit-slip.png"
    evidence.write_bytes(png_bytes(240, 140))
    maker, _ = page_factory()
    signed_in_page(maker_email, OPERATOR_PASSWORD, target=maker)
    request_id = _send_top_up(maker, console_url, sandbox, maker_email, evidence)

    checker, _ = page_factory(viewport={"width": 1280, "height": 900})
    signed_in_page(checker_email, OPERATOR_PASSWORD, target=checker)
    checker.goto(f"{console_url}/p/{PARTNER}/")
    queue_panel = checker.get_by_test_id("panel-decision_queue")
    expect(queue_panel).to_contain_text("Waiting for your decision")
    expect(queue_panel.get_by_test_id("queue-oldest")).to_contain_text("GMT-6")
    assert int(queue_panel.get_by_test_id("queue-count").inner_text().replace(",", "")) >= 1
    shoot(checker, "queue-01-dashboard")

    queue_panel.get_by_test_id("queue-link").click()
    checker.wait_for_url(re.compile(r".*/top-ups/\?status=pending&awaiting=me$"))
    expect(checker.get_by_test_id("queue-filter")).to_be_visible()
    row = checker.locator(f'[data-testid="topup-row"][data-request-id="{request_id}"]')
    expect(row).to_contain_text("4,321.00 GTQ")
    shoot(checker, "queue-02-list")

    row.get_by_test_id("queue-approve").click()
    checker.wait_for_url(re.compile(rf".*/top-ups/{request_id}/approve$"))
    image = checker.get_by_test_id("evidence-image")
    expect(image).to_be_visible()
    checker.wait_for_function("img => img.complete && img.naturalWidth === 240", arg=image.element_handle())
    history = checker.get_by_test_id("history")
    expect(history).to_contain_text("Request sent")
    expect(history).to_contain_text(maker_email)
    expect(checker.get_by_test_id("consequence")).to_contain_text("4,321.00 GTQ")
    # One screen: amount, evidence and the decision button are all in view without scrolling.
    for part in (checker.get_by_test_id("amount"), image, checker.get_by_test_id("confirm")):
        expect(part).to_be_in_viewport()
    shoot(checker, "queue-03-decide")

    checker.get_by_role("button", name="ES", exact=True).click()
    expect(
        checker.get_by_role("heading", name=f"Aprobar la solicitud de recarga #{request_id}")
    ).to_be_visible()
    expect(checker.get_by_test_id("history")).to_contain_text("Solicitud enviada")
    shoot(checker, "queue-04-decide-es")
    checker.goto(f"{console_url}/p/{PARTNER}/")
    expect(checker.get_by_test_id("panel-decision_queue")).to_contain_text("Esperan su decisión")
    shoot(checker, "queue-05-dashboard-es")
    checker.get_by_test_id("queue-link").click()
    expect(checker.get_by_test_id("queue-filter")).to_contain_text("las que usted envió no aparecen")
    shoot(checker, "queue-06-list-es")

    # axe needs its script injected, which the console's CSP rightly refuses: a second page without it.
    audited, _ = page_factory(bypass_csp=True)
    signed_in_page(checker_email, OPERATOR_PASSWORD, target=audited)
    for path in ("/", "/top-ups/?status=pending&awaiting=me", f"/top-ups/{request_id}/approve"):
        audited.goto(f"{console_url}/p/{PARTNER}{path}")
        assert axe_violations(audited) == [], path

    checker.goto(f"{console_url}/p/{PARTNER}/top-ups/{request_id}/approve")
    checker.get_by_label("Motivo").fill("Depósito confirmado")
    give_code(checker, sandbox, checker_email)
    checker.get_by_test_id("confirm").click()
    checker.wait_for_url(re.compile(rf".*/top-ups/{request_id}$"))
    expect(checker.locator(".toast-success")).to_be_visible()
    checker.goto(f"{console_url}/p/{PARTNER}/top-ups/?status=pending&awaiting=me")
    expect(checker.locator(f'[data-testid="topup-row"][data-request-id="{request_id}"]')).to_have_count(0)
