"""Cardholders in a real browser: search as you type, paging and the back button, keyboard navigation, create
with errors then success, reveal with an emailed code, and close."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD, give_code, new_operator, shoot
from tests.integration.console.test_cardholders_list import seeded_cardholder
from tests.support.sandbox import SandboxHandle

PARTNER_A = 1
MAKER = [
    "cardholders:list",
    "cardholders:detail",
    "cardholders:create",
    "cardholders:update",
    "cardholders:otp",
    "cards-admin:detail",
    "cards-admin:activate",
    "cards-admin:block",
    "cards-admin:unblock",
]


def _rows(page: Any) -> Any:
    return page.locator("#cardholder-results tr[data-row]")


def test_search_paging_back_button_and_keyboard(
    signed_in_page: Callable[..., Any], console_url: str, sandbox: SandboxHandle
) -> None:
    person = seeded_cardholder(sandbox)
    page = signed_in_page(new_operator(sandbox, "Rosa Méndez", MAKER, otpElevation=True), OPERATOR_PASSWORD)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{console_url}/p/{PARTNER_A}/cardholders/")
    expect(_rows(page)).to_have_count(50)
    shoot(page, "20-cardholders-list")

    page.keyboard.press("/")
    expect(page.get_by_test_id("search")).to_be_focused()
    page.keyboard.type(person["documentNumber"][:9], delay=20)
    expect(page.get_by_test_id("result-count")).to_contain_text(re.compile(r"match(es)? the search"))
    expect(page.locator("#cardholder-results")).to_contain_text(person["name"])
    assert re.search(r"\?s=[A-Za-z0-9_-]+", page.url)
    shoot(page, "21-cardholders-search")

    page.get_by_test_id("search").fill("")
    expect(_rows(page)).to_have_count(50)
    first_name = _rows(page).first.locator("a").inner_text()
    page.get_by_test_id("next-page").click()
    expect(page.get_by_test_id("page-status")).to_contain_text("Page 2 of")
    assert "page=2" in page.url
    page.go_back()
    expect(page.get_by_test_id("page-status")).to_contain_text("Page 1 of")
    expect(_rows(page).first.locator("a")).to_have_text(first_name)

    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(_rows(page).nth(1)).to_have_class(re.compile("is-current"))
    page.keyboard.press("k")
    expect(_rows(page).nth(0)).to_have_class(re.compile("is-current"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cardholders/\d+$"))
    expect(page.get_by_test_id("cardholder-name")).to_contain_text(first_name)

    leaked = [url for url in requested if person["documentNumber"][:9] in url or "csrf" in url]
    assert leaked == []


def test_create_with_errors_then_success_reveal_with_a_code_and_close(
    signed_in_page: Callable[..., Any],
    console_url: str,
    sandbox: SandboxHandle,
) -> None:
    email = new_operator(sandbox, "Rosa Méndez", MAKER, otpElevation=True)
    page = signed_in_page(email, OPERATOR_PASSWORD)  # the sign-in code does not count as a step-up
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{console_url}/p/{PARTNER_A}/cardholders/")
    page.get_by_test_id("new-cardholder").click()
    page.wait_for_url("**/cardholders/new")
    card_id = page.locator("#free-cards option").first.get_attribute("value")
    document = "".join(random.choice("0123456789") for _ in range(13))
    person_email = f"rosa.{uuid.uuid4().hex[:8]}@example.com"
    page.get_by_label("Name", exact=True).fill("Rosa")
    page.get_by_label("Last name").fill("Méndez Ruiz")
    page.get_by_label("Date of birth").fill("1988-02-30")
    page.get_by_label("Country of birth").fill("GT")
    page.get_by_label("Gender").select_option("F")
    page.get_by_label("Marital status").select_option("soltero")
    page.get_by_label("Address").fill("Diagonal 6 13-01, Zona 10")
    page.get_by_label("Phone number").fill("502 5555 0101")
    page.get_by_label("Email").fill(person_email)
    page.get_by_label("Document type").select_option("DPI")
    page.get_by_label("Document number").fill(document[:10])
    page.get_by_label("Card").fill(str(card_id))
    page.get_by_role("button", name="Create cardholder").click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    expect(page.locator("#dateOfBirth-error")).to_have_text("This date does not exist.")
    expect(page.locator("#documentNumber-error")).to_have_text("A DPI number has 13 digits.")
    expect(page.get_by_label("Email")).to_have_value(person_email)
    shoot(page, "22-cardholder-create-errors")

    page.get_by_label("Date of birth").fill("1988-02-28")
    page.get_by_label("Document number").fill(document)
    page.get_by_role("button", name="Create cardholder").click()
    page.wait_for_url(re.compile(r"/cardholders/\d+$"))
    expect(page.get_by_test_id("cardholder-name")).to_have_text("Rosa Méndez Ruiz")
    expect(page.get_by_test_id("document-value")).not_to_contain_text(document)
    shoot(page, "23-cardholder-detail")

    expect(page.get_by_test_id("step-up")).to_be_visible()
    page.get_by_role("button", name="Send code").click()
    expect(page.locator(".step-up-status")).not_to_be_empty()
    page.get_by_label("Code from your email").fill(sandbox.latest_otp(email))
    page.get_by_test_id("reveal").click()
    expect(page.get_by_test_id("document-value")).to_contain_text(document)
    expect(page.get_by_test_id("email-value")).to_have_text(person_email)
    shoot(page, "24-cardholder-revealed")

    page.get_by_test_id("close").click()
    expect(page.get_by_test_id("consequence")).to_contain_text("will be cancelled")
    shoot(page, "25-cardholder-close")
    page.get_by_label("Reason for closing").fill("Customer asked to close the account")
    give_code(page, sandbox, email)  # the reveal's code does not cover the close
    page.get_by_test_id("confirm-close").click()
    page.wait_for_url(re.compile(r"/cardholders/\d+$"))
    expect(page.get_by_test_id("cardholder-status")).to_have_text("Closed")
    expect(page.get_by_test_id("history")).to_contain_text("Closed")
    expect(page.get_by_test_id("history")).to_contain_text("Personal data revealed")
    expect(page.get_by_test_id("history")).to_contain_text("Created")
    shoot(page, "26-cardholder-closed")

    leaked = [url for url in requested if document in url or person_email in url or "otp" in url.lower()]
    assert leaked == []
