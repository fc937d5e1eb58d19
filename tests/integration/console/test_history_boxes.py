"""The history boxes on the cardholder, top-up and user pages, against the sandbox: labels instead of action
codes, field names as the forms say them, the reason given, before → after masked, granted and revoked
permissions, repeated evidence views collapsed; in English and Spanish, with nothing personal shown whole."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.console import test_process_requests_create as top_ups
from tests.integration.console.test_auth_login import csrf_from
from tests.integration.console.test_cardholders_changes import BASE, MAKER, create_one
from tests.integration.console.test_cardholders_detail import drop_elevation as drop_cardholder_elevation
from tests.integration.console.test_cardholders_detail import send_code
from tests.integration.console.test_cardholders_list import html_of
from tests.integration.console.test_permissions_editor import EDITOR_ADMIN, _editor, _target, wanted
from tests.integration.console.test_users_pages import (
    PARTNER_A,
    USER_ADMIN,
    drop_elevation,
    elevation_code,
    form_of,
    fresh_email,
    hidden,
)
from tests.support.auth import Auth
from tests.support.console import STEP_UP_FOR_AN_HOUR
from tests.support.sandbox import SandboxHandle

pytestmark = pytest.mark.console(
    LOGIN_RATE_LIMIT="200 per minute",
    OTP_RATE_LIMIT="200 per minute",
    **STEP_UP_FOR_AN_HOUR,
)


def history_of(html: str, testid: str = "history") -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index("</table>", start)]


def lines_of(history: str) -> list[str]:
    """Each line's text, tags dropped and spaces squeezed."""
    rows = history.split('data-testid="history-line"')[1:]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def in_spanish(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["lang"] = "es"


def test_a_cardholder_edit_names_the_fields_with_masked_before_and_after(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER)
    cardholder_id, person = create_one(client)
    url = f"{BASE}/{cardholder_id}/edit"
    form = html_of(client.get(url))
    new_phone = "+502 4" + person["phoneNumber"][-7:]
    fields = {
        "address": "Calzada Roosevelt 22-43",
        "phoneNumber": new_phone,
        "csrf_token": csrf_from(form),
    }
    saved = client.post(url, data=fields)
    assert saved.status_code == 303, html_of(saved)[:2000]
    html = html_of(client.get(f"{BASE}/{cardholder_id}"))
    history = history_of(html)
    (edited,) = [line for line in lines_of(history) if "Edited" in line]
    assert "Edited: Address, Phone number" in edited
    assert "Address: 5••• → C•••" in edited
    old_digits, new_digits = re.sub(r"\D", "", person["phoneNumber"]), re.sub(r"\D", "", new_phone)
    assert re.search(rf"Phone number: •+{old_digits[-4:]} → •+{new_digits[-4:]}", edited), edited
    # Nothing personal whole: not in the history, and the old values nowhere on the page.
    for raw in (person["address"], "Calzada Roosevelt", old_digits, new_digits, person["phoneNumber"]):
        assert raw not in history
    assert person["address"] not in html
    assert old_digits not in html
    assert new_digits not in html
    assert "phoneNumber" not in history
    assert "cardholder_update" not in history

    in_spanish(client)
    spanish = lines_of(history_of(html_of(client.get(f"{BASE}/{cardholder_id}"))))
    assert any("Editado: Dirección, Número de teléfono" in line for line in spanish), spanish
    assert any("Dirección: 5••• → C•••" in line for line in spanish)


def test_closing_a_cardholder_shows_the_reason_given(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client, email = auth.sign_in(MAKER)
    cardholder_id, _ = create_one(client)
    drop_cardholder_elevation(client)
    url = f"{BASE}/{cardholder_id}/close"
    token = csrf_from(html_of(client.get(url)))
    code = send_code(client, sandbox, email, token)
    closed = client.post(url, data={"csrf_token": token, "reason": "Requested by the customer", "otp": code})
    assert closed.status_code == 303
    lines = lines_of(history_of(html_of(client.get(f"{BASE}/{cardholder_id}"))))
    assert "Closed" in lines[0]
    assert "Reason: Requested by the customer" in lines[0]
    in_spanish(client)
    spanish = lines_of(history_of(html_of(client.get(f"{BASE}/{cardholder_id}"))))
    assert "Cerrado" in spanish[0]
    assert "Motivo: Requested by the customer" in spanish[0]


def test_a_card_action_names_the_card_by_its_masked_number_and_the_reason(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER)
    cardholder_id, person = create_one(client)
    cards = f"{BASE}/{cardholder_id}/cards/{person['cardId']}"
    token = csrf_from(html_of(client.get(f"{cards}/activate")))
    assert client.post(f"{cards}/activate", data={"csrf_token": token}).status_code == 303
    blocked = client.post(f"{cards}/block", data={"csrf_token": token, "reason": "Lost at the market"})
    assert blocked.status_code == 303
    history = history_of(html_of(client.get(f"{BASE}/{cardholder_id}")))
    (line,) = [line for line in lines_of(history) if "Card blocked" in line]
    assert re.search(r"Card blocked · Card (\d{6} )?•+ \d{4}", line), line
    assert "Reason: Lost at the market" in line
    assert f"#{person['cardId']}" not in history


def test_a_permission_change_on_the_user_page_shows_label_reason_granted_and_revoked(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    target = _target(sandbox, ["cardholders:list", "approvals:list"])
    op = auth.sign_in({PARTNER_A: EDITOR_ADMIN})
    drop_elevation(op.client)
    url = f"/p/{PARTNER_A}/permissions/users/{target['id']}"
    html = _editor(op, target["id"])
    perms = wanted(html, add=("cardholders:detail",), remove=("approvals:list",))
    body = op.client.post(url, data={**form_of(html), "perm": perms, "step": "preview"}).get_data(
        as_text=True
    )
    base = {**form_of(body), "perm": perms, "step": "save", "previewed": hidden(body, "previewed")}
    code = elevation_code(op.client, sandbox, op.email)
    saved = op.client.post(url, data={**base, "reason": "Moves to the approvals team", "otp": code})
    assert saved.status_code == 303, saved.get_data(as_text=True)

    page = op.client.get(f"/p/{PARTNER_A}/users/{target['id']}").get_data(as_text=True)
    history = history_of(page, "user-events")
    assert "permissions_change" not in history
    (line,) = [line for line in lines_of(history) if "Permissions changed" in line]
    assert "Granted: cardholders:detail" in line
    assert "Revoked: approvals:list" in line
    assert "Reason: Moves to the approvals team" in line
    assert "Done" in line  # the outcome by its name, not the stored code

    in_spanish(op.client)
    page = op.client.get(f"/p/{PARTNER_A}/users/{target['id']}").get_data(as_text=True)
    (line,) = [line for line in lines_of(history_of(page, "user-events")) if "Permisos cambiados" in line]
    assert "Otorgados: cardholders:detail" in line
    assert "Revocados: approvals:list" in line
    assert "Motivo: Moves to the approvals team" in line
    assert "Hecho" in line


def test_a_user_edit_shows_before_and_after_masked(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    old_email, new_email = fresh_email(), fresh_email()
    target = sandbox.create_user(
        email=old_email, password="Target-Pass-2026!", name="Viejo Nombre", partners=[PARTNER_A]
    )
    op = auth.sign_in({PARTNER_A: USER_ADMIN})
    html = op.client.get(f"/p/{PARTNER_A}/users/{target['id']}/edit").get_data(as_text=True)
    saved = op.client.post(
        f"/p/{PARTNER_A}/users/{target['id']}/edit",
        data={**form_of(html), "name": "Nombre Nuevo", "email": new_email},
    )
    assert saved.status_code == 303
    page = op.client.get(f"/p/{PARTNER_A}/users/{target['id']}").get_data(as_text=True)
    history = history_of(page, "user-events")
    (line,) = [line for line in lines_of(history) if "User edited" in line]
    assert "User edited: Name, Email" in line, line
    assert "Name: V••• → N•••" in line
    assert "Email: u•••@test.migo → u•••@test.migo" in line
    assert "cms_user_update" not in history
    assert old_email not in page  # the old address is gone, and the history never shows it whole
    assert new_email not in history
    assert "Viejo" not in page
    assert "Nombre Nuevo" not in history

    in_spanish(op.client)
    page = op.client.get(f"/p/{PARTNER_A}/users/{target['id']}").get_data(as_text=True)
    spanish = lines_of(history_of(page, "user-events"))
    assert any("Usuario editado: Nombre, Correo electrónico" in line for line in spanish), spanish


def test_repeated_evidence_views_by_one_person_are_one_line_with_a_count(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    maker, _ = auth.sign_in(top_ups.MAKER, step_up=True)
    checker, checker_email = auth.sign_in(top_ups.CHECKER, step_up=True)
    request_id = top_ups.request_top_up(maker, "38", evidence=(top_ups.png_bytes(), "transfer.png"))
    for _ in range(3):
        seen = checker.get(f"/p/{PARTNER_A}/top-ups/{request_id}/evidence/preview")
        assert seen.status_code == 200
    for url in (f"/p/{PARTNER_A}/top-ups/{request_id}/approve", f"/p/{PARTNER_A}/top-ups/{request_id}"):
        lines = lines_of(history_of(checker.get(url).get_data(as_text=True)))
        viewed = [line for line in lines if "Evidence viewed" in line]
        assert len(viewed) == 1, lines
        assert "×3" in viewed[0]
        assert checker_email in viewed[0]
        assert any("Request sent" in line for line in lines)
    # Someone else's view is a line of its own, never folded into the checker's count.
    maker.get(f"/p/{PARTNER_A}/top-ups/{request_id}/evidence/preview")
    lines = lines_of(history_of(checker.get(f"/p/{PARTNER_A}/top-ups/{request_id}").get_data(as_text=True)))
    viewed = [line for line in lines if "Evidence viewed" in line]
    assert len(viewed) == 2
    assert "×" not in viewed[0]
    assert "×3" in viewed[1]
    in_spanish(checker)
    lines = lines_of(history_of(checker.get(f"/p/{PARTNER_A}/top-ups/{request_id}").get_data(as_text=True)))
    assert any("×3" in line and "Respaldo consultado" in line for line in lines), lines
