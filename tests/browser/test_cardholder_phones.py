"""A phone said the way people say it, in a real browser: typed into the list search, it finds the cardholder
and the row says the phone is what matched; typed wrong into the create form, the field says why."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD, new_operator, shoot
from tests.integration.console.test_cardholders_list import seeded_cardholder
from tests.support.sandbox import SandboxHandle

PARTNER_A = 1
MAKER = ["cardholders:list", "cardholders:detail", "cardholders:create", "cards-admin:detail"]


def test_search_by_a_spoken_phone_shows_the_cardholder_with_the_badge(
    signed_in_page: Callable[..., Any], console_url: str, sandbox: SandboxHandle
) -> None:
    holder = seeded_cardholder(sandbox)
    stored = holder["phoneNumber"]  # "502" and eight digits
    said = f"+502 {stored[3:7]} {stored[7:]}"
    page = signed_in_page(new_operator(sandbox, "Elena Chávez", MAKER), OPERATOR_PASSWORD)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{console_url}/p/{PARTNER_A}/cardholders/")

    page.get_by_test_id("search").fill(said)
    row = page.locator("#cardholder-results tr[data-row]", has_text=holder["name"])
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("matched")).to_have_text("Matched: Phone")
    expect(page.get_by_test_id("result-count")).to_contain_text(re.compile(r"match(es)? the search"))
    shoot(page, "26-cardholders-search-by-phone")

    page.goto(f"{console_url}/p/{PARTNER_A}/cardholders/new")
    expect(
        page.get_by_text("A number from GT, or + and the country code for another country.")
    ).to_be_visible()
    page.get_by_label("Phone number").fill("5550 123")
    page.get_by_role("button", name="Create cardholder").click()
    expect(page.locator("#phoneNumber-error")).to_have_text("Not a valid phone number for GT.")
    expect(page.get_by_label("Phone number")).to_have_value("5550 123")
    shoot(page, "27-cardholder-form-phone-error")

    assert [url for url in requested if stored[3:7] in url or stored[7:] in url] == []
