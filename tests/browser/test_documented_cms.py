"""The core flows in a real browser against a CMS with only the documented operations (`documented` profile):
sign in with the emailed code, list, create, detail with a fresh code, upload to the end, request a top-up."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD, shoot
from tests.integration.console.test_documented_cms import OPERATOR, PARTNER, free_cards
from tests.integration.console.test_process_requests_create import PDF
from tests.integration.console.test_uploads_flow import csv_file, person
from tests.support.console import console_config, start_jobs_worker
from tests.support.sandbox import SandboxHandle
from tests.support.servers import LiveServer
from webapp.devrun import partners_setting


@pytest.fixture
def documented_console(documented_sandbox: SandboxHandle, tmp_path: Path) -> Iterator[str]:
    """A console on its own port in front of the documented-only sandbox. Every sensitive action asks for
    a code (a verified code counts for no time), as the console's own policy can require."""
    from webapp import create_app

    app = create_app(
        console_config(
            documented_sandbox,
            tmp_path,
            CMS_PARTNERS=partners_setting(documented_sandbox.database_url),
            CMS_ELEVATION_SECONDS=0,
            LOGIN_RATE_LIMIT="200 per minute",
            OTP_RATE_LIMIT="200 per minute",
        )
    )
    start_jobs_worker(app)  # a sent upload's follow is a background job
    server = LiveServer(app).start()
    yield server.url
    server.stop()


def _fresh_code(page: Any, sandbox: SandboxHandle, email: str) -> None:
    """Every sensitive action asks for a code here: send one and type it from the mailbox."""
    expect(page.get_by_test_id("step-up")).to_be_visible()
    page.get_by_role("button", name="Send code").click()
    expect(page.locator(".step-up-status")).not_to_be_empty()
    page.get_by_label("Code from your email").fill(sandbox.latest_otp(email))


@pytest.fixture
def operator_page(
    page: Any,
    signed_in_page: Callable[..., Any],
    documented_console: str,
    documented_sandbox: SandboxHandle,
) -> Callable[[], tuple[Any, str]]:
    def open_as_new_operator() -> tuple[Any, str]:
        email = f"doc-{uuid.uuid4().hex[:10]}@test.migo"
        documented_sandbox.create_user(
            email=email,
            password=OPERATOR_PASSWORD,
            name="Delia Documentada",
            partners=[PARTNER],
            permissions={str(PARTNER): OPERATOR},
        )
        signed_in_page(email, OPERATOR_PASSWORD, base_url=documented_console, mailbox=documented_sandbox)
        return page, email

    return open_as_new_operator


def test_list_create_and_reveal_with_a_code(
    operator_page: Callable[[], tuple[Any, str]], documented_console: str, documented_sandbox: SandboxHandle
) -> None:
    page, email = operator_page()
    expect(page).to_have_url(f"{documented_console}/p/{PARTNER}/")
    nav = page.get_by_role("navigation", name="Sections")
    expect(nav).not_to_contain_text("Partner")  # learned at sign-in: the CMS cannot read partners
    shoot(page, "documented-01-dashboard")
    page.goto(f"{documented_console}/p/{PARTNER}/cardholders/")
    expect(page.locator("#cardholder-results tr[data-row]").first).to_be_visible()
    page.get_by_test_id("new-cardholder").click()
    page.wait_for_url("**/cardholders/new")
    [card] = free_cards(documented_sandbox, 1)
    document = f"{uuid.uuid4().int % 10**13:013d}"
    person_email = f"doc.{uuid.uuid4().hex[:8]}@example.com"
    page.get_by_label("Name", exact=True).fill("Delia")
    page.get_by_label("Last name").fill("Pérez")
    page.get_by_label("Date of birth").fill("1985-06-01")
    page.get_by_label("Country of birth").fill("GT")
    page.get_by_label("Gender").select_option("F")
    page.get_by_label("Marital status").select_option("casado")
    page.get_by_label("Address").fill("6a Calle 3-20, Zona 1")
    page.get_by_label("Phone number").fill(f"502 5{uuid.uuid4().int % 10**7:07d}")
    page.get_by_label("Email").fill(person_email)
    page.get_by_label("Document type").select_option("DPI")
    page.get_by_label("Document number").fill(document)
    page.get_by_label("Card").fill(str(card))
    shoot(page, "documented-02-create")
    page.get_by_role("button", name="Create cardholder").click()
    page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1].isdigit())
    expect(page.get_by_test_id("cardholder-name")).to_have_text("Delia Pérez")
    expect(page.get_by_test_id("document-value")).not_to_contain_text(document)
    _fresh_code(page, documented_sandbox, email)
    page.get_by_test_id("reveal").click()
    expect(page.get_by_test_id("document-value")).to_contain_text(document)
    shoot(page, "documented-03-revealed")


def test_upload_to_the_end_and_a_top_up(
    operator_page: Callable[[], tuple[Any, str]],
    documented_console: str,
    documented_sandbox: SandboxHandle,
    tmp_path: Path,
) -> None:
    page, email = operator_page()
    rows = [person(i, card) for i, card in enumerate(free_cards(documented_sandbox, 3))]
    upload = tmp_path / "altas.csv"
    upload.write_bytes(csv_file(rows))
    page.goto(f"{documented_console}/p/{PARTNER}/uploads/new")
    page.locator("#file").set_input_files(str(upload))
    page.get_by_test_id("check-file").click()
    expect(page.locator('[data-count="valid"]')).to_have_text("3")
    _fresh_code(page, documented_sandbox, email)
    page.get_by_test_id("send-upload").click()
    expect(page.locator('#upload-progress[data-state="done"]')).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("progress-figure")).to_contain_text("3 / 3 · 100 %")
    shoot(page, "documented-04-upload-done")

    evidence = tmp_path / "receipt.pdf"
    evidence.write_bytes(PDF)
    page.goto(f"{documented_console}/p/{PARTNER}/top-ups/")
    expect(page.get_by_test_id("balance-figure")).to_be_visible()
    page.get_by_test_id("new-topup").click()
    page.get_by_label("Amount").fill("1,250.50")
    page.get_by_label("Observations").fill("Deposit 7781")
    page.get_by_label("Evidence file").set_input_files(str(evidence))
    _fresh_code(page, documented_sandbox, email)
    page.get_by_test_id("send-topup").click()
    expect(page.get_by_test_id("evidence-not-offered")).to_be_visible()
    expect(page.get_by_test_id("amount")).to_contain_text("1,250.50")
    shoot(page, "documented-05-top-up")
