"""Saved views in a real browser: filter the cardholder list, save it under a name from the "Save this view"
disclosure, then open it from the sidebar on another page; in English and in Spanish."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD, PageProblems, new_operator, shoot
from tests.browser.test_accessibility import axe_violations
from tests.support.sandbox import SandboxHandle

PARTNER_A = 1
READER = ["cardholders:list", "cardholders:detail"]


def test_save_a_filtered_list_and_open_it_from_the_sidebar(
    signed_in_page: Callable[..., Any], console_url: str, sandbox: SandboxHandle
) -> None:
    page = signed_in_page(new_operator(sandbox, "Lucía Paz", READER), OPERATOR_PASSWORD)
    page.goto(f"{console_url}/p/{PARTNER_A}/cardholders/")
    page.get_by_test_id("status-filter").select_option("inactive")
    page.wait_for_url(re.compile(r"status=inactive"))
    expect(page.get_by_test_id("save-view")).to_be_visible()

    page.get_by_test_id("save-view").locator("summary").click()
    page.get_by_test_id("save-view-name").fill("Inactive cardholders")
    page.get_by_test_id("save-view-shared").check()
    shoot(page, "90-saved-view-save-en")
    page.get_by_test_id("save-view-submit").click()
    expect(page.locator("#flash")).to_contain_text("View “Inactive cardholders” saved.")
    nav = page.get_by_test_id("saved-views-nav")
    expect(nav.get_by_role("link", name="Inactive cardholders")).to_be_visible()

    page.goto(f"{console_url}/p/{PARTNER_A}/")  # another page: the sidebar still offers it
    page.get_by_test_id("saved-views-nav").get_by_role("link", name="Inactive cardholders").click()
    page.wait_for_url(re.compile(rf"/p/{PARTNER_A}/cardholders/\?status=inactive$"))
    expect(page.get_by_test_id("status-filter")).to_have_value("inactive")
    shoot(page, "91-saved-view-open-en")

    page.get_by_role("button", name="ES").click()
    expect(page.get_by_test_id("saved-views-nav")).to_contain_text("Vistas guardadas")
    expect(page.get_by_test_id("status-filter")).to_have_value("inactive")
    page.get_by_test_id("save-view").locator("summary").click()
    expect(page.get_by_test_id("save-view")).to_contain_text("Compartir con colegas de este socio")
    shoot(page, "92-saved-view-es")

    # The same name again is refused beside the field; the manage page lists it with its delete button.
    page.get_by_test_id("save-view-name").fill("Inactive cardholders")
    page.get_by_test_id("save-view-submit").click()
    expect(page.locator(".field-error")).to_contain_text("ya tiene una vista llamada «Inactive cardholders»")
    shoot(page, "93-saved-view-duplicate-es")
    page.get_by_test_id("saved-views-nav").get_by_role("link", name="Administrar vistas guardadas").click()
    expect(page.get_by_test_id("saved-view-row")).to_have_count(1)
    page.get_by_test_id("delete-view").click()
    expect(page.locator("#flash")).to_contain_text("Vista «Inactive cardholders» eliminada.")
    expect(
        page.get_by_test_id("saved-views-nav").get_by_role("link", name="Inactive cardholders")
    ).to_have_count(0)
    shoot(page, "94-saved-views-manage-es")


def test_the_disclosure_by_keyboard_and_axe_with_a_view_in_the_sidebar(
    signed_in_page: Callable[..., Any],
    page_factory: Callable[..., tuple[Any, PageProblems]],
    console_url: str,
    sandbox: SandboxHandle,
) -> None:
    # axe needs its script injected, which the console's CSP rightly refuses: a page without it.
    page, _ = page_factory(bypass_csp=True)
    signed_in_page(new_operator(sandbox, "Ana Tzoc", READER), OPERATOR_PASSWORD, target=page)
    page.goto(f"{console_url}/p/{PARTNER_A}/cardholders/?status=closed")
    summary = page.get_by_test_id("save-view").locator("summary")
    summary.focus()
    page.keyboard.press("Enter")  # opens the disclosure
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("save-view-name")).to_be_focused()
    page.keyboard.type("Closed")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_url(re.compile(r"status=closed$"))
    expect(page.get_by_test_id("saved-views-nav").get_by_role("link", name="Closed")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_test_id("save-view").locator("summary").click()
    assert axe_violations(page) == []
