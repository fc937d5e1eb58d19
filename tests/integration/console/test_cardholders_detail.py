"""Cardholder detail against the sandbox: masked by default, cards with at most BIN + last four, the audited
reveal with a fresh code, per-record history, and tenancy."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.integration.console.test_auth_login import PARTNER_A, PARTNER_B
from tests.integration.console.test_cardholders_list import (
    CONSOLE,
    csrf_of,
    faults,  # noqa: F401 - fixture
    html_of,
    seeded_cardholder,
)
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle

pytestmark = CONSOLE

REVEALER = ["cardholders:list", "cardholders:detail", "cardholders:otp", "cards-admin:detail"]


def drop_elevation(client: FlaskClient) -> None:
    """Make the console's next upstream call refresh the operator's tokens: the fresh pair is not elevated,
    as after the elevation lifetime has passed, so the next sensitive action must ask for a code."""
    with client.session_transaction() as stored:
        tokens = dict(stored["tokens"])
        tokens["access_expires_at"] = 0
        tokens["elevated_until"] = 0
        stored["tokens"] = tokens


def send_code(client: FlaskClient, sandbox: SandboxHandle, email: str, token: str) -> str:
    sent = client.post("/step-up/code", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert sent.status_code == 200
    return sandbox.latest_otp(email)


def _detail_url(cardholder: dict[str, Any]) -> str:
    return f"/p/{PARTNER_A}/cardholders/{cardholder['cardholderId']}"


def test_detail_is_masked_and_cards_show_at_most_bin_and_last_four(
    console: Flask,
    sandbox: SandboxHandle,
    auth: Auth,
) -> None:
    person = seeded_cardholder(sandbox)
    client, _ = auth.sign_in(REVEALER)
    page = client.get(_detail_url(person))
    assert page.status_code == 200
    html = html_of(page)
    assert person["documentNumber"] not in html
    assert person["phoneNumber"] not in html
    assert person["email"] not in html
    assert person["documentNumber"][-4:] in html
    pans = re.findall(r'<td class="ch-mono">([^<]+)</td>', html)
    assert pans, "the seeded cardholder has cards"
    for pan in pans:
        assert re.fullmatch(r"\d{6} •••••• \d{4}", pan), pan
    assert not re.search(r"\d{11,}", re.sub(r"<[^>]+>", " ", html))
    assert 'data-testid="reveal"' in html


def test_reveal_needs_a_fresh_code_shows_once_and_is_audited(
    console: Flask,
    sandbox: SandboxHandle,
    auth: Auth,
) -> None:
    person = seeded_cardholder(sandbox)
    client, email = auth.sign_in(REVEALER)
    drop_elevation(client)
    page = html_of(client.get(_detail_url(person)))
    assert 'data-testid="step-up"' in page
    token = csrf_of(client, _detail_url(person))
    url = _detail_url(person) + "/reveal"

    refused = client.post(url, data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert refused.status_code == 422  # htmx too: it swaps a refused form like a 200 (webapp/htmx.py)
    assert "needs a fresh code" in html_of(refused)
    assert person["documentNumber"] not in html_of(refused)

    wrong = client.post(url, data={"csrf_token": token, "otp": "000000"})
    assert wrong.status_code == 422
    assert person["documentNumber"] not in html_of(wrong)

    code = send_code(client, sandbox, email, token)
    shown = client.post(url, data={"csrf_token": token, "otp": code}, headers={"HX-Request": "true"})
    assert shown.status_code == 200
    html = html_of(shown)
    assert person["documentNumber"] in html
    assert person["email"] in html
    assert "<html" not in html
    assert code not in html

    # Not kept anywhere: the detail page is masked again.
    again = html_of(client.get(_detail_url(person)))
    assert person["documentNumber"] not in again
    assert "Personal data revealed" in again

    from webapp.store.audit import recent_events

    with console.app_context():
        events = recent_events(partner_id=PARTNER_A, target=f"cardholder:{person['cardholderId']}")
    reveals = [e for e in events if e.action == "cardholder_pii_reveal" and e.actor_email == email]
    assert [e.outcome for e in reveals] == ["success"]
    assert person["documentNumber"] not in str(reveals[0].detail)


def test_reveal_needs_the_permission(
    console: Flask,
    sandbox: SandboxHandle,
    faults: SandboxHandle,  # noqa: F811
    auth: Auth,
) -> None:
    person = seeded_cardholder(sandbox)
    client, _ = auth.sign_in(["cardholders:list", "cardholders:detail"])
    page = html_of(client.get(_detail_url(person)))
    assert 'data-testid="reveal"' not in page
    assert "do not include viewing cards" in page
    token = csrf_of(client, _detail_url(person))
    faults.clear_calls()
    assert client.post(_detail_url(person) + "/reveal", data={"csrf_token": token}).status_code == 403
    assert faults.calls("POST /app/partners/*/cardholders/*") == []


def test_another_partners_cardholder_is_not_found(
    console: Flask,
    sandbox: SandboxHandle,
    auth: Auth,
) -> None:
    foreign = seeded_cardholder(sandbox, PARTNER_B)
    client, _ = auth.sign_in(REVEALER)
    page = client.get(f"/p/{PARTNER_A}/cardholders/{foreign['cardholderId']}")
    assert page.status_code == 404
    assert foreign["name"] not in html_of(page)


def test_detail_needs_the_permission(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    person = seeded_cardholder(sandbox)
    client, _ = auth.sign_in(["cardholders:list"])
    assert client.get(_detail_url(person)).status_code == 403
    listing = html_of(client.get(f"/p/{PARTNER_A}/cardholders/"))
    assert 'class="ch-row-link"' not in listing
