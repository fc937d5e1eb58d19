"""The list (filters in the URL, htmx fragment, balance) and the evidence served back safely."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask

from tests.integration.console.test_auth_login import PARTNER_A, PARTNER_B
from tests.integration.console.test_process_requests_create import (
    MAKER,
    PDF,
    png_bytes,
    request_top_up,
)
from tests.support.auth import Auth
from tests.support.console import STEP_UP_FOR_AN_HOUR
from tests.support.sandbox import SandboxHandle

LIST_ROUTE = f"GET /app/partners/{PARTNER_A}/process-requests"


pytestmark = pytest.mark.console(
    LOGIN_RATE_LIMIT="100 per minute",
    OTP_RATE_LIMIT="100 per minute",
    **STEP_UP_FOR_AN_HOUR,  # these tests are about the list; the code is asked in test_step_up.py
)


def _row_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-testid="topup-row" data-request-id="(\d+)"', html)]


def test_list_is_newest_first_with_the_balance(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client, _ = auth.sign_in(MAKER, step_up=True)
    older = request_top_up(client, "1")
    newer = request_top_up(client, "2")
    page = client.get(f"/p/{PARTNER_A}/top-ups/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    ids = _row_ids(html)
    assert ids.index(newer) < ids.index(older)
    assert re.search(r'data-testid="balance-figure">[\d,]+\.\d\d GTQ<', html)


def test_filters_travel_in_the_url_and_upstream(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER, step_up=True)
    request_top_up(client, "3")
    today = date.today().isoformat()
    html = client.get(f"/p/{PARTNER_A}/top-ups/?status=pending&from={today}&to={today}").get_data(
        as_text=True
    )
    assert _row_ids(html)
    assert "Approved" not in re.sub(r"<option[^>]*>[^<]*</option>", "", html)
    (call,) = clean_faults.calls(LIST_ROUTE)
    assert set(call["queryKeys"]) >= {"status", "from", "to", "page", "limit"}
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    empty = client.get(f"/p/{PARTNER_A}/top-ups/?from={tomorrow}").get_data(as_text=True)
    assert "No requests match these filters." in empty


def test_a_malformed_filter_is_reported_not_sent(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER, step_up=True)
    html = client.get(f"/p/{PARTNER_A}/top-ups/?from=31/01/2026&status=bogus").get_data(as_text=True)
    assert "Use a date like 2026-01-31." in html
    assert "Unknown status." in html
    (call,) = clean_faults.calls(LIST_ROUTE)
    assert "from" not in call["queryKeys"]
    assert "status" not in call["queryKeys"]


def test_htmx_gets_only_the_content(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client, _ = auth.sign_in(MAKER, step_up=True)
    fragment = client.get(f"/p/{PARTNER_A}/top-ups/?status=pending", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in body
    assert 'data-testid="topup-balance"' in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_image_evidence_preview_and_download(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client, email = auth.sign_in(MAKER, step_up=True)
    image = png_bytes()
    request_id = request_top_up(client, "4", evidence=(image, "receipt.png"))
    detail = client.get(f"/p/{PARTNER_A}/top-ups/{request_id}").get_data(as_text=True)
    assert 'data-testid="evidence-image"' in detail
    preview = client.get(f"/p/{PARTNER_A}/top-ups/{request_id}/evidence/preview")
    assert preview.status_code == 200
    assert preview.data == image
    assert preview.mimetype == "image/png"
    assert preview.headers["Content-Disposition"].startswith("inline")
    assert preview.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"
    download = client.get(f"/p/{PARTNER_A}/top-ups/{request_id}/evidence/download")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "filename=receipt.png" in download.headers["Content-Disposition"]
    assert "frame-ancestors 'none'" in download.headers["Content-Security-Policy"]
    assert download.headers["X-Frame-Options"] == "DENY"
    # Every other page keeps the site-wide policy.
    page = client.get(f"/p/{PARTNER_A}/top-ups/{request_id}")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "sandbox" not in page.headers["Content-Security-Policy"]
    with console.app_context():
        from webapp.store.audit import recent_events

        events = recent_events(partner_id=PARTNER_A, target=f"process_request:{request_id}")
    viewed = [e for e in events if e.action == "process_request_evidence_viewed"]
    assert len(viewed) == 2
    assert {e.actor_email for e in viewed} == {email}


def test_pdf_evidence_is_framed_by_the_detail_page(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER, step_up=True)
    request_id = request_top_up(client, "5", evidence=(PDF, "statement.pdf"))
    detail = client.get(f"/p/{PARTNER_A}/top-ups/{request_id}").get_data(as_text=True)
    assert 'data-testid="evidence-pdf"' in detail
    preview = client.get(f"/p/{PARTNER_A}/top-ups/{request_id}/evidence/preview")
    assert preview.mimetype == "application/pdf"
    assert preview.headers["Content-Disposition"].startswith("inline")


def test_evidence_only_for_operators_of_that_partner(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    maker, _ = auth.sign_in(MAKER, step_up=True)
    request_id = request_top_up(maker, "6")
    outsider = auth.sign_in(["balance-management:list"], partners=(PARTNER_B,)).client
    clean_faults.clear_calls()
    refused = outsider.get(f"/p/{PARTNER_A}/top-ups/{request_id}/evidence/download")
    assert refused.status_code == 403
    assert clean_faults.calls(f"GET /app/partners/{PARTNER_A}/process-requests/*") == []
    # The same id under the outsider's own partner is not that request.
    assert outsider.get(f"/p/{PARTNER_B}/top-ups/{request_id}/evidence/download").status_code == 404


def test_the_dashboard_balance_links_here(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client, _ = auth.sign_in(MAKER, step_up=True)
    html = client.get(f"/p/{PARTNER_A}/").get_data(as_text=True)
    assert f'href="/p/{PARTNER_A}/top-ups/" data-testid="balance-topups-link"' in html
