"""Phones as people say them, console ↔ sandbox over loopback HTTP: the list search finds the cardholder and
says which field matched, the create and edit forms refuse what is no phone of the PHONE_REGION and store
the rest in one form, and the upload dry run and the sandbox agree on every row."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from flask import Flask

from tests.integration.console.test_auth_login import PARTNER_A, csrf_from
from tests.integration.console.test_cardholders_changes import BASE, MAKER, create_one, open_form
from tests.integration.console.test_cardholders_changes import new_person as new_cardholder
from tests.integration.console.test_cardholders_list import csrf_of, html_of, seeded_cardholder
from tests.integration.console.test_uploads_flow import PARTNER as UPLOAD_PARTNER
from tests.integration.console.test_uploads_flow import (
    UPLOADER,
    counts,
    csv_file,
    detail_url,
    free_cards,
    person,
    post_file,
    send,
    upload_id_of,
    wait_until_done,
)
from tests.support import sandbox_login
from tests.support.auth import Auth
from tests.support.console import STEP_UP_FOR_AN_HOUR, make_console
from tests.support.sandbox import SandboxHandle

SEARCH = f"/p/{PARTNER_A}/cardholders/search"
HTMX = {"HX-Request": "true", "HX-Target": "cardholder-results"}
SPANISH = {"Accept-Language": "es-GT,es;q=0.9"}


pytestmark = pytest.mark.console(
    LOGIN_RATE_LIMIT="100 per minute",
    OTP_RATE_LIMIT="100 per minute",
    UPLOADS_PROGRESS_IDLE_SECONDS=2,
    **STEP_UP_FOR_AN_HOUR,
)


def spoken(stored: str) -> list[str]:
    """A Guatemalan number (`502` + eight digits) the ways people say it."""
    local = stored[3:]
    return [f"+502 {local[:4]} {local[4:]}", f"{local[:4]}-{local[4:]}", f"(502) {local}"]


def fresh_phone() -> str:
    """A Guatemalan mobile in its stored form that no seeded cardholder is likely to hold."""
    return f"5025{random.randrange(10**7):07d}"


def rows_of(html: str) -> list[str]:
    return re.findall(r"<tr data-row>.*?</tr>", html, flags=re.S)


# -- search -----------------------------------------------------------------------------------------------


def test_a_phone_said_any_way_finds_the_cardholder_and_the_list_says_the_phone_matched(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(["cardholders:list", "cardholders:detail"])
    holder = seeded_cardholder(sandbox)
    for said in spoken(holder["phoneNumber"]):
        sent = client.post(SEARCH, data={"q": said, "csrf_token": csrf_of(client)})
        assert sent.status_code == 303
        assert holder["phoneNumber"][-4:] not in sent.headers["Location"]  # the search stays out of URLs
        html = html_of(client.get(sent.headers["Location"]))
        (row,) = [r for r in rows_of(html) if f">{holder['name']}</a>" in r]
        assert 'data-testid="matched">Matched: Phone</span>' in row, row
        assert holder["phoneNumber"] not in html  # still masked in the list
        assert f'value="{said}"' in html  # the box shows what the operator typed
    # The htmx search-as-you-type answers the same, in Spanish too.
    answer = client.post(
        SEARCH,
        data={"q": spoken(holder["phoneNumber"])[1]},
        headers={**HTMX, **SPANISH, "X-CSRFToken": csrf_of(client)},
    )
    assert 'data-testid="matched">Coincide: Teléfono</span>' in html_of(answer)


def test_the_badge_names_the_email_or_the_document_when_those_matched(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(["cardholders:list"])
    holder = seeded_cardholder(sandbox)
    for query, label in ((holder["email"], "Email"), (holder["documentNumber"], "Document")):
        sent = client.post(SEARCH, data={"q": query, "csrf_token": csrf_of(client)})
        html = html_of(client.get(sent.headers["Location"]))
        matched = re.findall(r'data-testid="matched">Matched: ([^<]+)</span>', html)
        assert matched, html[:2000]
        assert all(label in found.split(", ") for found in matched), matched
    unfiltered = html_of(client.get(f"/p/{PARTNER_A}/cardholders/"))
    assert 'data-testid="matched"' not in unfiltered  # no search, no badge


# -- create and edit --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("5550 123", "Not a valid phone number for GT."),
        ("2034 5678", "Not a valid phone number for GT."),
        ("+999 5550 1234", "Unknown country code."),
        ("555O-1234", "Use digits, spaces, dashes or brackets, and + before a country code."),
    ],
)
def test_create_refuses_what_is_no_phone_and_says_why_on_the_field(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, phone: str, message: str, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER)
    hidden, card = open_form(client)
    refused = client.post(f"{BASE}/new", data={**hidden, **new_cardholder(card), "phoneNumber": phone})
    assert refused.status_code == 422
    html = html_of(refused)
    assert f'<p class="field-error" id="phoneNumber-error">{message}</p>' in html
    assert f'value="{phone}"' in html  # the input is kept
    assert clean_faults.calls(f"POST /app/partners/{PARTNER_A}/cardholders") == []


def test_the_form_names_the_region_and_speaks_spanish(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER)
    form = html_of(client.get(f"{BASE}/new"))
    assert "A number from GT, or + and the country code for another country." in form
    hidden, card = open_form(client)
    refused = client.post(
        f"{BASE}/new", data={**hidden, **new_cardholder(card), "phoneNumber": "5550 123"}, headers=SPANISH
    )
    html = html_of(refused)
    assert "No es un número de teléfono válido para GT." in html
    assert "Un número de GT, o + y el código de país si es de otro país." in html


def test_a_spoken_phone_is_stored_normalised_and_found_again(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER)
    stored = fresh_phone()
    hidden, card = open_form(client)
    person_data = {**new_cardholder(card), "phoneNumber": spoken(stored)[1]}  # "5550-1234"
    done = client.post(f"{BASE}/new", data={**hidden, **person_data})
    assert done.status_code == 303, html_of(done)[:2000]
    cardholder_id = int(done.headers["Location"].rstrip("/").rpartition("/")[2])
    # What the sandbox holds is the stored form, country code first.
    reader = sandbox_login.operator(sandbox, "carla.auditora@demo.migo")
    try:
        found = reader.http.get(f"/app/partners/{PARTNER_A}/cardholders", params={"searchText": stored})
        assert [item["cardholderId"] for item in found.json()["data"]["items"]] == [cardholder_id]
    finally:
        reader.close()
    sent = client.post(SEARCH, data={"q": spoken(stored)[0], "csrf_token": csrf_of(client)})
    html = html_of(client.get(sent.headers["Location"]))
    assert len(rows_of(html)) == 1
    assert "Matched: Phone" in html


def test_edit_checks_the_phone_the_same_way_and_sends_the_stored_form(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER)
    cardholder_id, _person = create_one(client)
    url = f"{BASE}/{cardholder_id}/edit"
    token = csrf_from(html_of(client.get(url)))
    refused = client.post(url, data={"phoneNumber": "+999 5550 1234", "csrf_token": token})
    assert refused.status_code == 422
    assert "Unknown country code." in html_of(refused)
    route = f"PATCH /app/partners/{PARTNER_A}/cardholders/{cardholder_id}"
    assert clean_faults.calls(route) == []
    stored = fresh_phone()
    saved = client.post(url, data={"phoneNumber": spoken(stored)[2], "csrf_token": token})
    assert saved.status_code == 303, html_of(saved)[:2000]
    (call,) = clean_faults.calls(route)
    assert call["status"] == 200
    reader = sandbox_login.operator(sandbox, "carla.auditora@demo.migo")
    try:
        found = reader.http.get(f"/app/partners/{PARTNER_A}/cardholders", params={"searchText": stored})
        assert [item["cardholderId"] for item in found.json()["data"]["items"]] == [cardholder_id]
    finally:
        reader.close()


def test_phone_region_is_a_setting(sandbox: SandboxHandle, tmp_path: Path) -> None:
    salvadoran = make_console(
        sandbox,
        tmp_path,
        LOGIN_RATE_LIMIT="100 per minute",
        OTP_RATE_LIMIT="100 per minute",
        PHONE_REGION="SV",
    )
    client, _ = Auth(salvadoran, sandbox).sign_in(MAKER)
    assert "A number from SV," in html_of(client.get(f"{BASE}/new"))
    hidden, card = open_form(client)
    guatemalan = "3000 1234"  # a Guatemalan mobile; Salvadoran numbers do not start with 3
    refused = client.post(f"{BASE}/new", data={**hidden, **new_cardholder(card), "phoneNumber": guatemalan})
    assert "Not a valid phone number for SV." in html_of(refused)


# -- the dry run and the sandbox agree ----------------------------------------------------------------------


def test_the_dry_run_and_the_sandbox_agree_on_every_phone(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(UPLOADER, partners=(UPLOAD_PARTNER,), step_up=True).client
    cards = free_cards(sandbox, 3)
    good = [fresh_phone() for _ in cards]
    rows = [
        person(i, card, phoneNumber=spoken(phone)[i])
        for i, (card, phone) in enumerate(zip(cards, good, strict=True))
    ]
    bad = {"50220345678": "Not a valid phone number for GT.", "5550 123": "Not a valid phone number for GT."}
    rows += [person(10 + i, cards[0], phoneNumber=phone) for i, phone in enumerate(bad)]
    upload_id = upload_id_of(post_file(client, csv_file(rows), "telefonos.csv"))
    html = client.get(detail_url(upload_id)).get_data(as_text=True)
    assert counts(html) == {"total": 5, "valid": 3, "invalid": 2, "duplicate": 0}
    assert html.count("Not a valid phone number for GT.") == 2
    spanish = client.get(detail_url(upload_id), headers=SPANISH).get_data(as_text=True)
    assert spanish.count("No es un número de teléfono válido para GT.") == 2
    # What the console let through, the sandbox creates, every row of it.
    assert send(client, upload_id).status_code == 303
    done = wait_until_done(client, upload_id)
    assert "3 / 3 · 100 %" in done
    # What the console refused, the sandbox refuses too (sent straight to it, in the stored shape).
    admin = sandbox_login.operator(sandbox, "diego.admin@demo.migo")
    try:
        body = {**person(20, cards[0]), "cardId": cards[0], "phoneNumber": "50220345678"}
        refused = admin.http.post(f"/app/partners/{UPLOAD_PARTNER}/cardholders", json=body)
        assert refused.status_code == 400, refused.text
        assert "phoneNumber" in str(refused.json().get("errors")), refused.text
        found = admin.http.get(
            f"/app/partners/{UPLOAD_PARTNER}/cardholders", params={"searchText": good[0], "limit": 5}
        )
        assert [item["phoneNumber"] for item in found.json()["data"]["items"]] == [good[0]]
    finally:
        admin.close()
