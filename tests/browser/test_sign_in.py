"""Signing in, failing to, timing out, switching partner and signing out, in a real browser."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import ConsoleFactory, shoot
from tests.support.sandbox import SandboxHandle

PARTNER_A = 1
PARTNER_B = 2
REFUSED = (
    "The email or password is wrong, or this account cannot sign in right now. If you are sure of your "
    "password, look for a notice in your email or ask an administrator."
)
EVERYTHING = ["balance-management:list", "cardholders:list", "approvals:list"]


def _operator(sandbox: SandboxHandle, partners: tuple[int, ...] = (PARTNER_A,)) -> tuple[str, str]:
    email = f"ui-{uuid.uuid4().hex[:10]}@test.migo"
    password = "Browser-Pass-2026!"
    sandbox.create_user(
        email=email,
        password=password,
        name="Rosa Méndez",
        partners=list(partners),
        permissions={str(pid): EVERYTHING for pid in partners},
    )
    return email, password


# htmx 2 remembers the current path (not page content) under this key even with history caching off.
HTMX_PATH_KEY = "htmx-current-path-for-history"


def _storage_is_empty(page: Any) -> None:
    assert page.evaluate("window.localStorage.length") == 0
    session_keys = page.evaluate("Object.keys(window.sessionStorage)")
    assert set(session_keys) <= {HTMX_PATH_KEY}


def test_sign_in_with_the_emailed_code(page: Any, console_url: str, sandbox: SandboxHandle) -> None:
    email, password = _operator(sandbox)
    page.goto(f"{console_url}/auth/login")
    expect(page.get_by_test_id("upstream-status")).to_contain_text("Connected to the CMS")
    shoot(page, "01-sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/auth/otp")
    expect(page.get_by_role("link", name="sandbox mailbox")).to_have_attribute(
        "href", f"{sandbox.root}/_sandbox/mailbox"
    )
    shoot(page, "02-code")
    page.get_by_label("Verification code").fill(sandbox.latest_otp(email))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(f"**/p/{PARTNER_A}/")
    expect(page.get_by_test_id("panel-balance")).to_contain_text("GTQ")
    expect(page.get_by_test_id("panel-cardholders")).to_be_visible()
    expect(page.get_by_test_id("panel-pending_requests")).to_be_visible()
    shoot(page, "03-dashboard")
    _storage_is_empty(page)
    assert password not in page.content()


def test_wrong_password(page: Any, console_url: str, sandbox: SandboxHandle) -> None:
    email, _ = _operator(sandbox)
    page.goto(f"{console_url}/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("Not-The-Password-1")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("sign-in-error")).to_have_text(REFUSED)
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_label("Email")).to_have_value(email)
    shoot(page, "04-wrong-password")


def test_wrong_code(page: Any, console_url: str, sandbox: SandboxHandle) -> None:
    email, password = _operator(sandbox)
    page.goto(f"{console_url}/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/auth/otp")
    right = sandbox.latest_otp(email)
    page.get_by_label("Verification code").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_test_id("sign-in-error")).to_contain_text("That code is wrong.")
    expect(page.get_by_label("Verification code")).to_have_value("")
    shoot(page, "05-wrong-code")
    page.get_by_label("Verification code").fill(right)
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(f"**/p/{PARTNER_A}/")


def test_a_lock_looks_like_a_wrong_password_and_the_owner_is_mailed(
    page: Any, console_url: str, sandbox: SandboxHandle
) -> None:
    email, _ = _operator(sandbox)  # a fresh user: the lockout touches nobody else
    page.goto(f"{console_url}/auth/login")
    for _ in range(5):  # the sandbox locks on the fifth failure
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("Not-The-Password-1")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_test_id("sign-in-error")).to_have_text(REFUSED)
    assert [m["purpose"] for m in sandbox.mailbox(email)] == ["lock_notice"]
    shoot(page, "06-locked")


def test_idle_warning_then_expiry(
    page: Any, start_console: ConsoleFactory, sandbox: SandboxHandle, signed_in_page: Callable[..., Any]
) -> None:
    url = start_console(SESSION_IDLE_SECONDS=8, SESSION_WARNING_SECONDS=5)
    email, password = _operator(sandbox)
    signed_in_page(email, password, base_url=url)
    page.wait_for_url(f"**/p/{PARTNER_A}/")
    dialog = page.locator("#idle-warning")
    expect(dialog).to_be_visible(timeout=10_000)
    shoot(page, "07-idle-warning")
    page.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    expect(dialog).to_be_visible(timeout=10_000)
    page.wait_for_url("**/auth/login?**reason=idle**", timeout=15_000)
    expect(page.get_by_test_id("notice")).to_contain_text("inactivity")
    shoot(page, "08-idle-expired")


def test_partner_switch(
    page: Any, console_url: str, sandbox: SandboxHandle, signed_in_page: Callable[..., Any]
) -> None:
    email, password = _operator(sandbox, partners=(PARTNER_A, PARTNER_B))
    signed_in_page(email, password)
    page.wait_for_url("**/auth/partners")
    shoot(page, "09-partner-picker")
    page.get_by_test_id("partner-list").get_by_role("link").first.click()
    page.wait_for_url(f"**/p/{PARTNER_A}/")
    page.locator("#partner-switch-select").select_option(str(PARTNER_B))
    page.wait_for_url(f"**/p/{PARTNER_B}/")
    expect(page.get_by_test_id("panel-cardholders")).to_be_visible()
    shoot(page, "10-switched")


def test_sign_out_then_back_shows_nothing(
    page: Any, console_url: str, sandbox: SandboxHandle, signed_in_page: Callable[..., Any]
) -> None:
    email, password = _operator(sandbox)
    signed_in_page(email, password)
    page.wait_for_url(f"**/p/{PARTNER_A}/")
    expect(page.get_by_test_id("panel-balance")).to_be_visible()
    page.get_by_test_id("sign-out").first.click()
    page.wait_for_url("**/auth/login?reason=signed_out")
    expect(page.get_by_test_id("notice")).to_have_text("You have signed out.")
    shoot(page, "11-signed-out")
    page.go_back()
    page.wait_for_load_state()
    expect(page.get_by_test_id("panel-balance")).to_have_count(0)
    assert "/auth/login" in page.url
    _storage_is_empty(page)


def test_spanish_sign_in(page_factory: Callable[..., Any], console_url: str, sandbox: SandboxHandle) -> None:
    page, _ = page_factory(locale="es-GT", extra_http_headers={"Accept-Language": "es"})
    email, password = _operator(sandbox)
    page.goto(f"{console_url}/auth/login")
    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    shoot(page, "12-sign-in-es")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/auth/otp")
    expect(page.get_by_role("heading", name="Escriba su código")).to_be_visible()
    page.get_by_label("Código de verificación").fill(sandbox.latest_otp(email))
    page.get_by_role("button", name="Verificar e iniciar sesión").click()
    page.wait_for_url(f"**/p/{PARTNER_A}/")
    expect(page.get_by_test_id("panel-balance")).to_contain_text("Saldo disponible")
    shoot(page, "13-dashboard-es")
