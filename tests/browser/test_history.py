"""The history boxes in a real browser: a cardholder edit and a user edit read as sentences, masked."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD, new_operator, shoot
from tests.integration.sandbox.test_sandbox_cardholders import cardholder_body
from tests.support import sandbox_login
from tests.support.sandbox import SandboxHandle

PARTNER_A = 1
EDITOR = ["cardholders:list", "cardholders:detail", "cardholders:update", "cards-admin:detail"]


def new_cardholder(sandbox: SandboxHandle) -> dict[str, Any]:
    """A cardholder of its own, made straight on the sandbox: the seeded ones stay as other tests expect."""
    admin = sandbox_login.operator(sandbox, "diego.admin@demo.migo")
    try:
        cards = admin.http.get(f"/app/partners/{PARTNER_A}/cards", params={"assigned": "false", "limit": 25})
        card_id = random.choice(cards.json()["data"]["items"])["cardId"]
        made = admin.http.post(f"/app/partners/{PARTNER_A}/cardholders", json=cardholder_body(card_id))
        assert made.status_code == 201, made.text
        record: dict[str, Any] = made.json()["data"]
        return record
    finally:
        admin.close()


def test_a_cardholder_edit_shows_the_fields_and_masked_values(
    signed_in_page: Callable[..., Any], console_url: str, sandbox: SandboxHandle
) -> None:
    person = new_cardholder(sandbox)
    page = signed_in_page(new_operator(sandbox, "Hilda Historia", EDITOR), OPERATOR_PASSWORD)
    page.goto(f"{console_url}/p/{PARTNER_A}/cardholders/{person['cardholderId']}/edit")
    page.get_by_label("Address").fill("Calzada Roosevelt 22-43, Zona 11")
    page.get_by_label("New phone number").fill("+502 4123 9876")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(r"/cardholders/\d+$"))
    history = page.get_by_test_id("history")
    line = history.get_by_test_id("history-line").filter(has_text="Edited")
    expect(line).to_contain_text("Edited: Address, Phone number")
    expect(line).to_contain_text("→ C•••")
    expect(line).to_contain_text("9876")
    expect(history).not_to_contain_text("41239876")
    expect(history).not_to_contain_text("Calzada Roosevelt")
    shoot(page, "90-history-cardholder-edit")


def test_a_user_edit_shows_before_and_after(
    signed_in_page: Callable[..., Any], console_url: str, sandbox: SandboxHandle
) -> None:
    target = sandbox.create_user(
        email=f"ui-{uuid.uuid4().hex[:10]}@test.migo",
        password="Target-Pass-2026!",
        name="Viejo Nombre",
        partners=[PARTNER_A],
    )
    page = signed_in_page(new_operator(sandbox, "Ursula Usuarios", ["users:*"]), OPERATOR_PASSWORD)
    page.goto(f"{console_url}/p/{PARTNER_A}/users/{target['id']}/edit")
    page.get_by_label("Name").fill("Nombre Nuevo")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(rf"/users/{target['id']}$"))
    line = page.get_by_test_id("user-events").get_by_test_id("history-line").first
    expect(line).to_contain_text("User edited: Name")
    expect(line).to_contain_text("V••• → N•••")
    shoot(page, "91-history-user-edit")
