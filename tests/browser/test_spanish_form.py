"""The new-cardholder form in Spanish, in a real browser: labels, help texts, placeholders, the options of the
selects (names, never the CMS's codes) and the field errors, after switching with the header's language
switch; then a cardholder's page, whose status and profile read as words, not as the CMS's values."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD, new_operator, shoot
from tests.integration.console.test_cardholders_list import seeded_cardholder
from tests.support.sandbox import SandboxHandle

PARTNER_A = 1
CREATOR = ["cardholders:list", "cardholders:detail", "cardholders:create", "cards-admin:detail"]
HELP_TEXTS = {
    "countryOfBirth": "Código ISO de dos letras, p. ej. GT.",
    "dateOfBirth": "AAAA-MM-DD",
    "phoneNumber": "Un número de GT, o + y el código de país si es de otro país.",
    "documentNumber": "DPI: 13 dígitos. NIT: de 2 a 12 dígitos, opcionalmente terminado en K.",
}


def test_the_new_cardholder_form_speaks_spanish(
    signed_in_page: Callable[..., Any], sandbox: SandboxHandle, console_url: str
) -> None:
    page = signed_in_page(new_operator(sandbox, "Lucía Pérez", CREATOR), OPERATOR_PASSWORD)
    page.goto(f"{console_url}/p/{PARTNER_A}/cardholders/new")
    page.locator(".lang-switch").get_by_role("button", name="ES").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nuevo tarjetahabiente")

    for field, text in HELP_TEXTS.items():
        expect(page.locator(f"#{field}-help")).to_have_text(text)
    expect(page.get_by_label("Fecha de nacimiento")).to_have_attribute("placeholder", "AAAA-MM-DD")
    marital = page.get_by_label("Estado civil").locator("option")
    expect(marital).to_have_text(["Elija…", "Soltero/a", "Casado/a", "Viudo/a", "Divorciado/a", "Separado/a"])
    expect(page.get_by_label("Género").locator("option")).to_have_text(
        ["Elija…", "Femenino", "Masculino", "Otro"]
    )
    documents = page.get_by_label("Tipo de documento").locator("option").all_inner_texts()
    assert "Pasaporte" in documents
    assert not [text for text in documents if re.search(r"[A-Z]{2,}_[A-Z]{2,}", text)], documents

    page.get_by_label("Nombre", exact=True).fill("Lucía")
    page.get_by_label("Fecha de nacimiento").fill("1988-02-30")
    page.get_by_label("Tipo de documento").select_option("DPI")
    page.get_by_label("Número de documento").fill("1234")
    page.get_by_role("button", name="Crear tarjetahabiente").click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    expect(page.locator("#dateOfBirth-error")).to_have_text("Esta fecha no existe.")
    expect(page.locator("#documentNumber-error")).to_have_text("Un número de DPI tiene 13 dígitos.")
    expect(page.get_by_label("Estado civil")).to_have_attribute("aria-invalid", "true")
    shoot(page, "26-cardholder-create-spanish")

    person = seeded_cardholder(sandbox)
    page.goto(f"{console_url}/p/{PARTNER_A}/cardholders/{person['cardholderId']}")
    expect(page.get_by_test_id("cardholder-status")).to_have_text(re.compile(r"^(Activo|Inactivo|Cerrado)$"))
    profile = page.locator(".ch-facts").first
    expect(profile).to_contain_text("Estado civil")
    assert not re.search(r"\b(soltero|casado|viudo|divorciado|separado|OTHER)\b", profile.inner_text())
    shoot(page, "27-cardholder-detail-spanish")
