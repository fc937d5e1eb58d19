"""Dark mode: the console follows the system setting, and an operator's own choice overrides it for the
session, on every page, without JavaScript being needed to apply it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD, PageProblems, new_operator, shoot
from tests.support.sandbox import SandboxHandle

LIGHT_BG = "rgb(247, 247, 248)"  # --bg in static/css/console.css
DARK_BG = "rgb(18, 20, 24)"


def _background(page: Any) -> str:
    return str(page.evaluate("getComputedStyle(document.body).backgroundColor"))


def test_the_system_setting_decides_until_the_operator_chooses(
    page_factory: Callable[..., tuple[Any, PageProblems]],
    console_url: str,
    sandbox: SandboxHandle,
    signed_in_page: Callable[..., Any],
) -> None:
    page, _ = page_factory(color_scheme="dark")
    page.goto(f"{console_url}/auth/login")
    assert _background(page) == DARK_BG
    shoot(page, "theme-sign-in-system-dark")

    email = new_operator(sandbox, "Marta Noche", ["cardholders:list"])
    signed_in_page(email, OPERATOR_PASSWORD, target=page)
    page.goto(f"{console_url}/p/1/cardholders/")
    assert _background(page) == DARK_BG
    shoot(page, "theme-cardholders-dark")

    # The operator picks Light: the system still says dark, the console now shows light, page after page.
    page.get_by_test_id("theme-select").select_option("light")
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert _background(page) == LIGHT_BG
    page.goto(f"{console_url}/p/1/")
    assert _background(page) == LIGHT_BG
    shoot(page, "theme-dashboard-chosen-light")

    # Back to following the system.
    page.get_by_test_id("theme-select").select_option("system")
    page.wait_for_load_state("load")
    expect(page.locator("html")).not_to_have_attribute("data-theme", "light")
    assert _background(page) == DARK_BG


def test_dark_chosen_on_a_light_system_works_without_javascript(
    page_factory: Callable[..., tuple[Any, PageProblems]], console_url: str
) -> None:
    page, _ = page_factory(color_scheme="light", java_script_enabled=False)
    page.goto(f"{console_url}/auth/login")
    assert _background(page) == LIGHT_BG
    page.get_by_test_id("theme-select").select_option("dark")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/auth/login")
    assert _background(page) == DARK_BG
    shoot(page, "theme-sign-in-chosen-dark")
