"""Fault plan F4 in a real browser: the upstream is slow but within budget (the sandbox `delay` fault).

A list fragment still loads and its busy indicator shows while it waits; a create form still succeeds, its
button is disabled while the request is in flight, and a double click plus Enter sends one request, both from
the browser and to the upstream (counted in the sandbox call log).
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD, new_operator
from tests.support.sandbox import SandboxHandle

PARTNER = 1
SLOW_MS = 2500  # well inside the console's read timeout, long enough to watch the page while it waits
MAKER = ["cardholders:list", "cardholders:detail", "cardholders:create", "cards-admin:detail"]
LIST_ROUTE = f"GET /app/partners/{PARTNER}/cardholders"
CREATE_ROUTE = f"POST /app/partners/{PARTNER}/cardholders"


def _slowed(sandbox: SandboxHandle, route: str) -> list[dict[str, Any]]:
    """The recorded upstream calls of `route` that the delay fault actually held up."""
    return [
        call for call in sandbox.calls(route) if call["fault"] == "delay" and call["durationMs"] >= SLOW_MS
    ]


def test_a_slow_list_fragment_shows_the_busy_indicator_until_it_arrives(
    signed_in_page: Callable[..., Any], console_url: str, clean_faults: SandboxHandle
) -> None:
    sandbox = clean_faults
    page = signed_in_page(new_operator(sandbox, "Lucía Batz", MAKER), OPERATOR_PASSWORD)
    page.goto(f"{console_url}/p/{PARTNER}/cardholders/")
    results = page.locator("#cardholder-results")
    indicator = results.locator(".ch-loading")
    expect(results.locator("tr[data-row]")).to_have_count(50)
    expect(indicator).to_be_hidden()

    # Page change (a link inside the results).
    sandbox.set_fault(LIST_ROUTE, "delay", ms=SLOW_MS, times=1)
    page.get_by_test_id("next-page").click()
    expect(indicator).to_be_visible()
    expect(indicator).to_be_in_viewport()  # the pager is at the bottom of a long list: the operator is there
    expect(results).to_have_attribute("aria-busy", "true")
    expect(page.get_by_test_id("page-status")).to_contain_text("Page 2 of", timeout=SLOW_MS + 8000)
    expect(indicator).to_be_hidden()
    expect(results).to_have_attribute("aria-busy", "false")
    assert len(_slowed(sandbox, LIST_ROUTE)) == 1

    # Search as you type (the toolbar form, outside the results).
    sandbox.set_fault(LIST_ROUTE, "delay", ms=SLOW_MS, times=1)
    page.get_by_test_id("search").fill("@")
    expect(indicator).to_be_visible()
    expect(page.get_by_test_id("result-count")).to_contain_text("match the search", timeout=SLOW_MS + 8000)
    expect(indicator).to_be_hidden()
    expect(results).to_have_attribute("aria-busy", "false")
    assert len(_slowed(sandbox, LIST_ROUTE)) == 2


def test_a_slow_create_locks_its_button_and_a_double_click_sends_once(
    signed_in_page: Callable[..., Any], console_url: str, clean_faults: SandboxHandle
) -> None:
    sandbox = clean_faults
    page = signed_in_page(new_operator(sandbox, "Lucía Batz", MAKER), OPERATOR_PASSWORD)
    page.goto(f"{console_url}/p/{PARTNER}/cardholders/new")
    card_id = page.locator("#free-cards option").first.get_attribute("value")
    page.get_by_label("Name", exact=True).fill("Lucía")
    page.get_by_label("Last name").fill("Batz Us")
    page.get_by_label("Date of birth").fill("1990-07-21")
    page.get_by_label("Country of birth").fill("GT")
    page.get_by_label("Gender").select_option("F")
    page.get_by_label("Marital status").select_option("casado")
    page.get_by_label("Address").fill("4a Calle 2-15, Zona 3")
    page.get_by_label("Phone number").fill(f"502 5{random.randrange(10**6, 10**7)}")
    page.get_by_label("Email").fill(f"lucia.{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_label("Document type").select_option("DPI")
    page.get_by_label("Document number").fill("".join(random.choice("0123456789") for _ in range(13)))
    page.get_by_label("Card").fill(str(card_id))

    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    sandbox.set_fault(CREATE_ROUTE, "delay", ms=SLOW_MS)  # every create is slow, a second one too
    button = page.get_by_role("button", name="Create cardholder")
    button.dblclick()
    expect(button).to_be_disabled()
    page.get_by_label("Last name").press("Enter")  # implicit submission while the first is in flight
    button.click(force=True)  # a third, impatient click straight on the locked button
    page.wait_for_url(re.compile(r"/cardholders/\d+$"), timeout=SLOW_MS + 10_000)
    expect(page.get_by_test_id("cardholder-name")).to_have_text("Lucía Batz Us")

    create_url = f"{console_url}/p/{PARTNER}/cardholders/new"
    assert [url for url in posts if url == create_url] == [create_url]
    assert len(sandbox.calls(CREATE_ROUTE)) == 1
    assert len(_slowed(sandbox, CREATE_ROUTE)) == 1


def test_a_slow_plain_create_form_is_sent_once_however_often_it_is_submitted(
    signed_in_page: Callable[..., Any], console_url: str, clean_faults: SandboxHandle
) -> None:
    """A form without htmx (forms.js `data-submit-once`): Enter, Enter again and a click while the first
    request is in flight would each start a new navigation, i.e. a new POST, without the lock (the upstream
    then refuses the duplicate and the operator sees an error for a permission that was created)."""
    sandbox = clean_faults
    email = new_operator(sandbox, "Marta Cojtí", ["users:detail", "users:update"], isAdmin=True)
    page = signed_in_page(email, OPERATOR_PASSWORD)
    page.goto(f"{console_url}/p/{PARTNER}/permissions/new")
    resource = f"f4{uuid.uuid4().hex[:8]}"
    page.get_by_label("Resource").fill(resource)
    page.get_by_label("I understand", exact=False).check()
    page.get_by_label("Action", exact=True).fill("read")  # focus stays here: Enter submits the form
    box = page.get_by_role("button", name="Create permission").bounding_box()
    assert box is not None

    # Each key press reports the submit button's state as the page sees it at that moment (a locator or an
    # evaluate would wait for the pending navigation instead).
    page.evaluate(
        """() => document.addEventListener("keydown", () => {
             const b = document.querySelector("form[data-submit-once] button[type=submit]");
             console.log("submit-button " + (b.disabled ? "locked " : "open ") + b.textContent.trim());
           }, true)"""
    )
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if msg.text.startswith("submit-button") else None)
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    sandbox.set_fault("POST /app/permissions", "delay", ms=SLOW_MS)
    with page.expect_request(lambda request: request.method == "POST"):
        page.keyboard.press("Enter")
    # The first POST is on the wire. Raw key presses and clicks do not wait for the page or the button.
    page.keyboard.press("Enter")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(f"{console_url}/p/{PARTNER}/permissions/", timeout=SLOW_MS + 10_000)
    expect(page.locator("#flash")).to_contain_text(resource)

    assert seen == ["submit-button open Create permission", "submit-button locked Sending…"]
    assert posts == [f"{console_url}/p/{PARTNER}/permissions/new"]
    assert len(sandbox.calls("POST /app/permissions")) == 1
