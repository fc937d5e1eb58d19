"""The console against a CMS that has only the documented operations and answers (`documented` profile).

Sign-in, the cardholder list, create and detail with a code, a bulk upload with its progress, the balance
and a top-up request must all work on the 19 documented operations; everything built on an assumed one
explains itself and disappears from the navigation once the CMS has said it lacks it.
"""

from __future__ import annotations

import re
import time
from html import unescape
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.test import TestResponse

from tests.integration.console.test_auth_login import csrf_from, new_operator, sign_in
from tests.integration.console.test_cardholders_changes import new_person
from tests.integration.console.test_process_requests_create import PDF, form_state
from tests.integration.console.test_uploads_flow import csv_file, person, upload_id_of
from tests.support.auth import Auth
from tests.support.console import STEP_UP_FOR_AN_HOUR, make_console
from tests.support.sandbox import SandboxHandle
from webapp.devrun import partners_setting

PARTNER = 2
OPERATOR = [
    "cardholders:list",
    "cardholders:detail",
    "cardholders:create",
    "cardholders:update",
    "cardholders:otp",
    "cards-admin:detail",
    "bulk-create:create",
    "balance-management:list",
    "balance-management:create",
    "approvals:list",
    "approvals:update",
    "users:list",
]


pytestmark = pytest.mark.console(
    LOGIN_RATE_LIMIT="100 per minute",
    OTP_RATE_LIMIT="100 per minute",
    UPLOADS_PROGRESS_IDLE_SECONDS=2,
    **STEP_UP_FOR_AN_HOUR,
)


@pytest.fixture
def upstream(documented_sandbox: SandboxHandle) -> SandboxHandle:
    """The consoles here talk to the sandbox in the `documented` profile."""
    return documented_sandbox


@pytest.fixture
def app_overrides(app_overrides: dict[str, Any], documented_sandbox: SandboxHandle) -> dict[str, Any]:
    """The partners come from the configuration: the documented CMS does not list them."""
    return {**app_overrides, "CMS_PARTNERS": partners_setting(documented_sandbox.database_url)}


def free_cards(sandbox: SandboxHandle, count: int) -> list[int]:
    """Free cards of the partner, read from the sandbox's database: the documented CMS cannot list them."""
    engine = create_engine(sandbox.database_url)
    try:
        with engine.connect() as db:
            rows = db.execute(
                text(
                    "SELECT id FROM cards WHERE partner_id = :partner AND cardholder_id IS NULL "
                    "ORDER BY random() LIMIT :count"
                ),
                {"partner": PARTNER, "count": count},
            ).all()
    finally:
        engine.dispose()
    return [int(row[0]) for row in rows]


def request_top_up(client: FlaskClient, amount: str) -> TestResponse:
    """A top-up request with a PDF through the console's own form, on this module's partner."""
    state = form_state(html(client.get(f"/p/{PARTNER}/top-ups/new")))
    return client.post(
        f"/p/{PARTNER}/top-ups/new",
        data={**state, "amount": amount, "observations": "Transfer", "evidence": (BytesIO(PDF), "t.pdf")},
        content_type="multipart/form-data",
    )


def html(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


def test_sign_in_takes_identity_from_the_login_answer_and_partners_from_the_configuration(
    console: Flask, documented_sandbox: SandboxHandle
) -> None:
    client = console.test_client()
    email, password = new_operator(
        documented_sandbox, partners=(PARTNER,), permissions={PARTNER: ["cardholders:list"]}, name="Doc Ops"
    )
    done = sign_in(client, documented_sandbox, email, password)
    # Three partners configured; the CMS refused the permissions read of the two not assigned.
    assert done.headers["Location"].endswith(f"/p/{PARTNER}/")
    with client.session_transaction() as stored:
        operator = stored["operator"]
    assert operator["email"] == email
    assert operator["name"] == "Doc Ops"
    assert [p["partner_id"] for p in operator["partners"]] == [PARTNER]
    assert operator["partners"][0]["name"] == "Fintech Maya"
    assert operator["otp_elevation"] is True  # nothing says otherwise: every sensitive action asks
    from webapp.upstream import EXTENSION_KEY

    assert console.extensions[EXTENSION_KEY].capabilities.missing() >= {"current-operator", "partners"}


def test_list_create_and_detail_with_a_code(
    console: Flask, documented_sandbox: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(OPERATOR, partners=(PARTNER,), step_up=True).client
    listing = client.get(f"/p/{PARTNER}/cardholders/")
    assert listing.status_code == 200
    assert "<tr data-row>" in html(listing)
    form_page = html(client.get(f"/p/{PARTNER}/cardholders/new"))
    key = re.search(r'name="idempotency_key"[^>]*?value="([^"]+)"', form_page)
    assert key
    [card] = free_cards(documented_sandbox, 1)
    created = client.post(
        f"/p/{PARTNER}/cardholders/new",
        data={"csrf_token": csrf_from(form_page), "idempotency_key": key.group(1), **new_person(str(card))},
    )
    assert created.status_code == 303, html(created)[:2000]
    detail = client.get(created.headers["Location"])
    assert detail.status_code == 200
    page = html(detail)
    assert 'data-testid="reveal"' in page


def test_bulk_upload_reaches_the_end_from_the_progress_stream_alone(
    console: Flask, documented_sandbox: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(OPERATOR, partners=(PARTNER,), step_up=True).client
    cards = free_cards(documented_sandbox, 3)
    rows = [person(i, card) for i, card in enumerate(cards)]
    rows.append(person(7, 999_999_999))  # a card the CMS does not have: fails upstream
    path = f"/p/{PARTNER}/uploads/new"
    new_page = html(client.get(path))
    posted = client.post(
        path,
        data={
            "csrf_token": csrf_from(new_page),
            "kind": "users",
            "file": (BytesIO(csv_file(rows)), "altas.csv"),
        },
        content_type="multipart/form-data",
    )
    upload_id = upload_id_of(posted)
    detail = f"/p/{PARTNER}/uploads/{upload_id}"
    checked = html(client.get(detail))
    # No list of the partner's cards on this CMS: the dry run says that check is left to the CMS.
    assert "This CMS does not offer the list of the partner's cards." in unescape(checked)
    token = csrf_from(checked)
    sent = client.post(f"{detail}/submit", data={"csrf_token": token, "policy": "valid_only"})
    assert sent.status_code == 303
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        polled = client.get(f"{detail}/progress", headers={"HX-Request": "true", "X-Background": "1"})
        assert polled.status_code == 200
        if polled.headers.get("HX-Redirect"):
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the upload did not finish")
    final = html(client.get(detail))
    assert 'data-state="done"' in final
    assert "4 / 4 · 100 %" in final
    # The failed row is known from the frames' errors, with the operator's own row number (the 5th line).
    report = client.get(f"{detail}/results.csv").get_data().decode("utf-8-sig")
    assert "\n5,failed," in report.replace("\r\n", "\n")
    assert not documented_sandbox.calls(f"GET /app/partners/{PARTNER}/batches/")  # nothing asked of it twice


def test_balance_and_a_top_up_request_without_the_detail_read(
    console: Flask, documented_sandbox: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(OPERATOR, partners=(PARTNER,), step_up=True).client
    done = request_top_up(client, "321.50")
    assert done.status_code == 303, html(done)[:2000]
    shown = client.get(done.headers["Location"])
    assert shown.status_code == 200  # found in the documented full list
    page = html(shown)
    assert "321.50" in page
    assert 'data-testid="evidence-not-offered"' in page
    listing = client.get(f"/p/{PARTNER}/top-ups/")
    assert listing.status_code == 200
    assert done.headers["Location"] in html(listing)


def test_decisions_switched_off_in_the_configuration_are_not_offered(
    documented_sandbox: SandboxHandle, tmp_path: Path
) -> None:
    console = make_console(
        documented_sandbox,
        tmp_path,
        CMS_PARTNERS=partners_setting(documented_sandbox.database_url),
        CMS_CAPABILITIES_OFF="process-request-decisions",
        **STEP_UP_FOR_AN_HOUR,
    )
    operators = Auth(console, documented_sandbox)
    maker = operators.sign_in(OPERATOR, partners=(PARTNER,), step_up=True).client
    done = request_top_up(maker, "12.00")
    assert done.status_code == 303
    checker = operators.sign_in(OPERATOR, partners=(PARTNER,), step_up=True).client
    page = html(checker.get(done.headers["Location"]))
    assert 'data-testid="not-offered"' in page
    assert 'data-testid="approve"' not in page
    refused = checker.get(done.headers["Location"] + "/approve")
    assert refused.status_code == 501
    assert 'data-capability="process-request-decisions"' in html(refused)


def test_an_assumed_section_explains_itself_then_leaves_the_navigation(
    console: Flask, documented_sandbox: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(OPERATOR, partners=(PARTNER,), step_up=True).client
    dashboard = html(client.get(f"/p/{PARTNER}/"))
    assert f'href="/p/{PARTNER}/users/"' in dashboard  # not known yet to be missing
    users = client.get(f"/p/{PARTNER}/users/")
    assert users.status_code == 501
    assert 'data-capability="cms-users"' in html(users)
    assert "Not offered by this CMS" in html(users)
    again = html(client.get(f"/p/{PARTNER}/"))
    assert f'href="/p/{PARTNER}/users/"' not in again
    assert f'href="/p/{PARTNER}/partner"' not in again  # learned at sign-in: no partner read either
