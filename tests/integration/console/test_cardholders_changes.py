"""Creating, editing and closing cardholders and acting on their cards, against the sandbox: field-level
errors, upstream errors on the fields, exactly-once submits through failures, confirmations, step-up codes,
permissions and the audit trail."""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.integration.console.test_auth_login import PARTNER_A, csrf_from
from tests.integration.console.test_cardholders_detail import drop_elevation, send_code
from tests.integration.console.test_cardholders_list import (
    CONSOLE,
    csrf_of,
    faults,  # noqa: F401 - fixture
    html_of,
)
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle

pytestmark = CONSOLE

BASE = f"/p/{PARTNER_A}/cardholders"
CREATE_ROUTE = f"POST /app/partners/{PARTNER_A}/cardholders"
MAKER = [
    "cardholders:list",
    "cardholders:detail",
    "cardholders:create",
    "cardholders:update",
    "cards-admin:detail",
    "cards-admin:activate",
    "cards-admin:block",
    "cards-admin:unblock",
]


def new_person(card_id: str) -> dict[str, str]:
    rng = random.Random()
    return {
        "name": "Lucía",
        "lastName": "Pérez Núñez",
        "address": "5a Avenida 10-20, Zona 1",
        "countryOfBirth": "gt",
        "dateOfBirth": "1990-04-12",
        "maritalStatus": "casado",
        "gender": "F",
        "phoneNumber": "+502 5" + "".join(rng.choice("0123456789") for _ in range(7)),
        "email": f"lucia.{uuid.uuid4().hex[:10]}@example.com",
        "documentType": "DPI",
        "documentNumber": "".join(rng.choice("0123456789") for _ in range(13)),
        "cardId": card_id,
    }


def open_form(client: FlaskClient) -> tuple[dict[str, str], str]:
    """The create form's hidden fields and a free card offered by it."""
    html = html_of(client.get(f"{BASE}/new"))
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="idempotency_key" name="idempotency_key" type="hidden" value="([^"]+)"', html
    )
    assert key, "no idempotency key on the form"
    cards = re.findall(r'<option value="(\d+)">', html)
    assert cards, "no free card offered"
    return {"csrf_token": csrf_from(html), "idempotency_key": key.group(1)}, random.choice(cards)


def create_one(client: FlaskClient) -> tuple[int, dict[str, str]]:
    hidden, card = open_form(client)
    person = new_person(card)
    done = client.post(f"{BASE}/new", data={**hidden, **person})
    assert done.status_code == 303, html_of(done)[:2000]
    return int(done.headers["Location"].rstrip("/").rpartition("/")[2]), person


def audit(app: Flask, cardholder_id: int) -> list[Any]:
    from webapp.store.audit import recent_events

    with app.app_context():
        return recent_events(partner_id=PARTNER_A, target=f"cardholder:{cardholder_id}")


# -- create -------------------------------------------------------------------------------------


def test_field_errors_keep_the_input_then_success_creates_exactly_once(
    console: Flask,
    sandbox: SandboxHandle,
    faults: SandboxHandle,  # noqa: F811
    auth: Auth,
) -> None:
    client, email = auth.sign_in(MAKER)
    hidden, card = open_form(client)
    person = new_person(card)
    wrong = {**person, "documentNumber": "12345", "dateOfBirth": "12/04/1990", "gender": ""}
    refused = client.post(f"{BASE}/new", data={**hidden, **wrong})
    assert refused.status_code == 422
    html = html_of(refused)
    assert "A DPI number has 13 digits." in html
    assert "Use the format YYYY-MM-DD." in html
    assert "This field is required." in html
    assert person["email"] in html
    assert "Pérez Núñez" in html  # the rest is kept
    assert hidden["idempotency_key"] in html
    assert faults.calls(CREATE_ROUTE) == []

    done = client.post(f"{BASE}/new", data={**hidden, **person})
    assert done.status_code == 303
    location = done.headers["Location"]
    again = client.post(f"{BASE}/new", data={**hidden, **person})  # double click / reload
    assert again.status_code == 303
    assert again.headers["Location"] == location
    (call,) = faults.calls(CREATE_ROUTE)
    assert call["idempotencyKey"] == hidden["idempotency_key"]

    detail = html_of(client.get(location))
    assert "Lucía Pérez Núñez" in detail
    assert "Cardholder created." in detail
    cardholder_id = int(location.rpartition("/")[2])
    events = audit(console, cardholder_id)
    assert [(e.action, e.outcome, e.actor_email) for e in events] == [("cardholder_create", "success", email)]


def test_upstream_errors_land_on_their_fields(
    console: Flask,
    sandbox: SandboxHandle,
    faults: SandboxHandle,  # noqa: F811
    auth: Auth,
) -> None:
    client, _ = auth.sign_in(MAKER)
    _, first = create_one(client)
    hidden, card = open_form(client)
    duplicate = {**new_person(card), "email": first["email"]}
    refused = client.post(f"{BASE}/new", data={**hidden, **duplicate})
    assert refused.status_code == 422
    html = html_of(refused)
    email_field = html[html.index('id="email"') :][:600]
    assert "already used" in email_field
    assert "8013" in email_field
    # The key was released: the corrected form goes through with the same key.
    fixed = client.post(f"{BASE}/new", data={**hidden, **new_person(card)})
    assert fixed.status_code == 303


def test_upstream_failing_mid_create_keeps_the_input_and_never_duplicates(
    console: Flask,
    sandbox: SandboxHandle,
    faults: SandboxHandle,  # noqa: F811
    auth: Auth,
) -> None:
    client, _ = auth.sign_in(MAKER)
    hidden, card = open_form(client)
    person = new_person(card)
    faults.set_fault(CREATE_ROUTE, "reset", times=1)
    broken = client.post(f"{BASE}/new", data={**hidden, **person})
    assert broken.status_code == 422
    html = html_of(broken)
    assert 'data-testid="outcome-unknown"' in html
    assert "check the list before retrying" in html
    assert person["email"] in html
    assert hidden["idempotency_key"] in html

    retried = client.post(f"{BASE}/new", data={**hidden, **person})
    assert retried.status_code == 303
    keys = {c["idempotencyKey"] for c in faults.calls(CREATE_ROUTE)}
    assert keys == {hidden["idempotency_key"]}
    token = csrf_of(client)
    found = client.post(
        f"{BASE}/search", data={"q": person["email"], "csrf_token": token}, follow_redirects=True
    )
    assert html_of(found).count("<tr data-row>") == 1


def test_create_needs_the_permission(
    console: Flask,
    sandbox: SandboxHandle,
    auth: Auth,
) -> None:
    client, _ = auth.sign_in(["cardholders:list"])
    assert client.get(f"{BASE}/new").status_code == 403
    assert 'data-testid="new-cardholder"' not in html_of(client.get(f"{BASE}/"))


# -- edit ---------------------------------------------------------------------------------------


def test_edit_sends_only_what_changed_and_is_audited(
    console: Flask,
    sandbox: SandboxHandle,
    faults: SandboxHandle,  # noqa: F811
    auth: Auth,
) -> None:
    client, _ = auth.sign_in(MAKER)
    cardholder_id, person = create_one(client)
    url = f"{BASE}/{cardholder_id}/edit"
    form = html_of(client.get(url))
    assert 'value="5a Avenida 10-20, Zona 1"' in form
    assert person["email"] not in form  # PII is not pre-filled
    token = csrf_from(form)
    fields = {
        "name": "Lucía",
        "lastName": "Pérez Núñez",
        "address": "Calzada Roosevelt 22-43",
        "countryOfBirth": "GT",
        "dateOfBirth": "1990-04-12",
        "maritalStatus": "viudo",
        "gender": "F",
        "phoneNumber": "",
        "email": "",
    }
    refused = client.post(url, data={**fields, "countryOfBirth": "Guatemala", "csrf_token": token})
    assert refused.status_code == 422
    assert "two-letter ISO 3166-1" in html_of(refused)
    faults.clear_calls()
    saved = client.post(url, data={**fields, "csrf_token": token})
    assert saved.status_code == 303
    (call,) = faults.calls(f"PATCH /app/partners/{PARTNER_A}/cardholders/{cardholder_id}")
    assert call["status"] == 200
    detail = html_of(client.get(saved.headers["Location"]))
    assert "Calzada Roosevelt 22-43" in detail
    assert "Widowed" in detail
    (edit,) = [e for e in audit(console, cardholder_id) if e.action == "cardholder_update"]
    assert edit.detail["fields"] == ["address", "maritalStatus"]


# -- close --------------------------------------------------------------------------------------


def test_close_confirms_names_the_consequence_and_needs_a_code(
    console: Flask,
    sandbox: SandboxHandle,
    auth: Auth,
) -> None:
    client, email = auth.sign_in(MAKER)
    cardholder_id, _ = create_one(client)
    drop_elevation(client)
    url = f"{BASE}/{cardholder_id}/close"
    confirm = html_of(client.get(url))
    assert "cannot be undone" in confirm
    assert "will be cancelled" in confirm
    assert 'data-testid="step-up"' in confirm
    token = csrf_from(confirm)

    no_reason = client.post(url, data={"csrf_token": token})
    assert no_reason.status_code == 422
    assert "Give a reason." in html_of(no_reason)
    no_code = client.post(url, data={"csrf_token": token, "reason": "Requested by the customer"})
    assert no_code.status_code == 422
    assert "needs a fresh code" in html_of(no_code)
    assert "Requested by the customer" in html_of(no_code)

    code = send_code(client, sandbox, email, token)
    closed = client.post(url, data={"csrf_token": token, "reason": "Requested by the customer", "otp": code})
    assert closed.status_code == 303
    detail = html_of(client.get(closed.headers["Location"]))
    assert 'data-testid="cardholder-status"><span class="badge badge-neutral">Closed' in detail
    assert "cancelled" in detail
    assert 'data-testid="close"' not in detail
    assert 'data-testid="edit"' not in detail
    actions = [e.action for e in audit(console, cardholder_id)]
    assert actions[0] == "cardholder_close"
    assert "Closed" in detail  # history row


# -- cards --------------------------------------------------------------------------------------


def test_card_actions_confirm_and_follow_the_card_state(
    console: Flask,
    sandbox: SandboxHandle,
    auth: Auth,
) -> None:
    client, _ = auth.sign_in(MAKER)
    cardholder_id, person = create_one(client)
    card = person["cardId"]
    cards = f"{BASE}/{cardholder_id}/cards/{card}"
    detail = html_of(client.get(f"{BASE}/{cardholder_id}"))
    assert f"{cards}/activate" in detail
    assert f"{cards}/block" not in detail

    confirm = html_of(client.get(f"{cards}/activate"))
    assert 'data-testid="consequence"' in confirm
    token = csrf_from(confirm)
    assert client.post(f"{cards}/activate", data={"csrf_token": token}).status_code == 303
    assert f"{cards}/block" in html_of(client.get(f"{BASE}/{cardholder_id}"))

    no_reason = client.post(f"{cards}/block", data={"csrf_token": token})
    assert no_reason.status_code == 422
    assert client.post(f"{cards}/block", data={"csrf_token": token, "reason": "Lost"}).status_code == 303
    assert client.post(f"{cards}/unblock", data={"csrf_token": token}).status_code == 303
    # Activating an active card is refused upstream (7213) and explained on the confirm page.
    again = client.post(f"{cards}/activate", data={"csrf_token": token})
    assert again.status_code == 422
    assert "7213" in html_of(again)
    actions = [(e.action, e.outcome) for e in audit(console, cardholder_id)]
    assert actions[:4] == [
        ("card_activate", "refused"),
        ("card_unblock", "success"),
        ("card_block", "success"),
        ("card_activate", "success"),
    ]


def test_card_actions_need_their_permission(
    console: Flask,
    sandbox: SandboxHandle,
    auth: Auth,
) -> None:
    maker, _ = auth.sign_in(MAKER)
    cardholder_id, person = create_one(maker)
    viewer, _ = auth.sign_in(["cardholders:list", "cardholders:detail", "cards-admin:detail"])
    cards = f"{BASE}/{cardholder_id}/cards/{person['cardId']}"
    assert f"{cards}/activate" not in html_of(viewer.get(f"{BASE}/{cardholder_id}"))
    assert viewer.get(f"{cards}/activate").status_code == 403
    token = csrf_of(viewer)
    assert viewer.post(f"{cards}/activate", data={"csrf_token": token}).status_code == 403
    # A card that is not this cardholder's is not found through their page.
    assert maker.get(f"{BASE}/{cardholder_id}/cards/1/activate").status_code == 404
