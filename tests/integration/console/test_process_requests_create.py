"""Requesting a top-up through the console against the sandbox: amounts, evidence, exactly once, failures.

The helpers at the top are shared by the other process-request test modules.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.integration.console.test_auth_login import PARTNER_A, csrf_from
from tests.support.auth import Auth
from tests.support.console import STEP_UP_FOR_AN_HOUR, make_console
from tests.support.sandbox import SandboxHandle

CREATE_ROUTE = f"POST /app/partners/{PARTNER_A}/process-request"
MAKER = ["balance-management:create", "balance-management:list", "balance-management:cancel"]
CHECKER = ["approvals:list", "approvals:detail", "approvals:update", "balance-management:list"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]*)"')
_REF = re.compile(r'name="evidence_ref" type="hidden" value="([^"]*)"')


# -- helpers shared with the other process-request modules -----------------------------------------------


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, grey) PNG, so a browser can draw the preview."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class LoseAnswers(httpx.HTTPTransport):
    """Delivers requests to the sandbox, then loses the answer of the armed ones (a read timeout after the
    upstream did the work): exactly the "outcome unknown" case, without waiting for a real timeout."""

    def __init__(self) -> None:
        super().__init__()
        self.armed: list[str] = []

    def arm(self, method: str, path: str) -> None:
        self.armed.append(f"{method} /cms/rest{path}")

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        key = f"{request.method} {request.url.path}"
        if key in self.armed:
            self.armed.remove(key)
            response.read()
            response.close()
            raise httpx.ReadTimeout("answer lost on purpose", request=request)
        return response


def form_state(html: str) -> dict[str, str]:
    key = _KEY.search(html)
    ref = _REF.search(html)
    assert key, "no submission key on the form"
    return {
        "csrf_token": csrf_from(html),
        "submission_key": key.group(1),
        "evidence_ref": ref.group(1) if ref else "",
    }


def open_form(client: FlaskClient) -> dict[str, str]:
    page = client.get(f"/p/{PARTNER_A}/top-ups/new")
    assert page.status_code == 200, page.get_data(as_text=True)
    return form_state(page.get_data(as_text=True))


def post_top_up(
    client: FlaskClient,
    state: dict[str, str],
    amount: str,
    evidence: tuple[bytes, str] | None = (PDF, "transfer.pdf"),
    observations: str = "Bank transfer 12345",
) -> TestResponse:
    data: dict[str, Any] = {**state, "amount": amount, "observations": observations}
    if evidence is not None:
        data["evidence"] = (io.BytesIO(evidence[0]), evidence[1])
    return client.post(f"/p/{PARTNER_A}/top-ups/new", data=data, content_type="multipart/form-data")


def request_top_up(client: FlaskClient, amount: str = "150.25", **kwargs: Any) -> int:
    """Send a top-up through the console; answers the new request id."""
    done = post_top_up(client, open_form(client), amount, **kwargs)
    assert done.status_code == 303, done.get_data(as_text=True)
    found = re.search(r"/top-ups/(\d+)$", done.headers["Location"])
    assert found, done.headers["Location"]
    return int(found.group(1))


def requests_by(sandbox: SandboxHandle, email: str) -> list[dict[str, Any]]:
    """Partner A's requests made by `email`, read straight from the sandbox (as an all-seeing admin would)."""
    from tests.support.sandbox_login import operator

    admin = operator(sandbox, "diego.admin@demo.migo")
    try:
        reply = admin.http.get(f"/app/partners/{PARTNER_A}/process-request")
        items = reply.json()["data"]
    finally:
        admin.close()
    return [item for item in items if (item.get("requestedBy") or {}).get("email") == email]


def staged_files(app: Flask) -> list[Path]:
    directory = Path(app.instance_path) / "evidence-staging"
    return sorted(directory.iterdir()) if directory.is_dir() else []


pytestmark = pytest.mark.console(
    LOGIN_RATE_LIMIT="100 per minute",
    OTP_RATE_LIMIT="100 per minute",
    **STEP_UP_FOR_AN_HOUR,
)


# -- the happy path -------------------------------------------------------------------------------------


def test_a_request_is_sent_once_with_its_pdf(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, email = auth.sign_in(MAKER, step_up=True)
    request_id = request_top_up(client, "1,234.56")
    detail = client.get(f"/p/{PARTNER_A}/top-ups/{request_id}").get_data(as_text=True)
    assert "1,234.56 GTQ" in detail
    assert f"Top-up request #{request_id} for 1,234.56 GTQ sent" in detail
    (sent,) = requests_by(sandbox, email)
    assert sent["requestedAmount"] == 1234.56
    assert sent["evidence"]["contentType"] == "application/pdf"
    assert sent["evidence"]["fileName"] == "transfer.pdf"
    (call,) = clean_faults.calls(CREATE_ROUTE)
    assert call["idempotencyKey"]
    assert staged_files(console) == [], "the staged evidence is deleted once the request exists"
    with console.app_context():
        from webapp.store.audit import recent_events

        events = recent_events(partner_id=PARTNER_A, target=f"process_request:{request_id}")
    assert [(e.action, e.outcome, e.actor_email) for e in events] == [
        ("process_request_created", "success", email)
    ]


@pytest.mark.parametrize(
    ("locale", "typed", "shown"), [("es_GT", "2,500.75", "2,500.75"), ("es_ES", "2.500,75", "2.500,75")]
)
def test_spanish_amounts_are_read_as_the_spanish_locale_writes_them(
    console: Flask, sandbox: SandboxHandle, locale: str, typed: str, shown: str, auth: Auth
) -> None:
    console.config["SPANISH_LOCALE"] = locale
    client, email = auth.sign_in(MAKER, step_up=True)
    with client.session_transaction() as sess:
        sess["lang"] = "es"
    request_id = request_top_up(client, typed)
    (sent,) = requests_by(sandbox, email)
    assert sent["requestedAmount"] == 2500.75
    detail = client.get(f"/p/{PARTNER_A}/top-ups/{request_id}").get_data(as_text=True)
    assert f"{shown} GTQ" in detail


def test_the_same_form_sent_twice_creates_one_request(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, email = auth.sign_in(MAKER, step_up=True)
    state = open_form(client)
    first = post_top_up(client, state, "75")
    again = post_top_up(client, state, "75")  # a double click or a reload of the POST
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert len(clean_faults.calls(CREATE_ROUTE)) == 1
    assert len(requests_by(sandbox, email)) == 1


# -- bad input: refused by the console, nothing sent, nothing lost ------------------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be greater than zero."),
        ("-10", "The amount must be greater than zero."),
        ("12.345", "is ambiguous"),
        ("1.234,56", "another number format"),
        ("10.9999", "Use at most 2 decimals."),
        ("abc", "Enter a number"),
    ],
)
def test_bad_amounts_keep_the_form_and_the_file(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, amount: str, message: str, auth: Auth
) -> None:
    client, _email = auth.sign_in(MAKER, step_up=True)
    refused = post_top_up(client, open_form(client), amount, observations="keep me")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert message in html
    assert "keep me" in html
    assert 'data-testid="staged-evidence"' in html
    assert "transfer.pdf" in html
    assert clean_faults.calls(CREATE_ROUTE) == []


def test_the_kept_file_is_used_on_the_next_attempt(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, email = auth.sign_in(MAKER, step_up=True)
    refused = post_top_up(client, open_form(client), "0", evidence=(png_bytes(), "receipt.png"))
    state = form_state(refused.get_data(as_text=True))
    assert state["evidence_ref"]
    done = post_top_up(client, state, "42", evidence=None)
    assert done.status_code == 303, done.get_data(as_text=True)
    (sent,) = requests_by(sandbox, email)
    assert sent["evidence"]["fileName"] == "receipt.png"
    assert sent["evidence"]["contentType"] == "image/png"


def test_a_file_that_is_not_a_pdf_or_image_by_content(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER, step_up=True)
    refused = post_top_up(client, open_form(client), "10", evidence=(b"MZ\x90\x00 not a pdf", "invoice.pdf"))
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "The file must be a PDF, JPEG, PNG or WEBP (checked by its content)." in html
    assert 'data-testid="staged-evidence"' not in html
    assert clean_faults.calls(CREATE_ROUTE) == []
    assert staged_files(console) == []


def test_ten_megabytes_plus_one_byte_is_refused_with_the_form_kept(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER, step_up=True)
    too_big = PDF + b"0" * (10 * 1024 * 1024 + 1 - len(PDF))
    refused = post_top_up(
        client, open_form(client), "10", evidence=(too_big, "big.pdf"), observations="big one"
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "The file is larger than 10 MB." in html
    assert "big one" in html
    assert clean_faults.calls(CREATE_ROUTE) == []
    assert staged_files(console) == []


def test_exactly_ten_megabytes_is_accepted(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client, email = auth.sign_in(MAKER, step_up=True)
    limit = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
    request_top_up(client, "10", evidence=(limit, "limit.pdf"))
    (sent,) = requests_by(sandbox, email)
    assert sent["evidence"]["size"] == 10 * 1024 * 1024


def test_a_body_far_over_the_limit_is_refused_unread(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER, step_up=True)
    huge = PDF + b"0" * (11 * 1024 * 1024)
    refused = post_top_up(client, open_form(client), "10", evidence=(huge, "huge.pdf"))
    assert refused.status_code == 413
    assert "The file is larger than 10 MB." in refused.get_data(as_text=True)
    assert clean_faults.calls(CREATE_ROUTE) == []


def test_no_file_at_all(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER, step_up=True)
    refused = post_top_up(client, open_form(client), "10", evidence=None)
    assert refused.status_code == 422
    assert "Choose the evidence file" in refused.get_data(as_text=True)
    assert clean_faults.calls(CREATE_ROUTE) == []


# -- upstream failures ----------------------------------------------------------------------------------


def test_lost_answer_is_outcome_unknown_and_a_retry_makes_no_duplicate(
    sandbox: SandboxHandle, tmp_path: Path, clean_faults: SandboxHandle
) -> None:
    transport = LoseAnswers()
    app = make_console(
        sandbox, tmp_path, LOGIN_RATE_LIMIT="100 per minute", CMS_TRANSPORT=transport, **STEP_UP_FOR_AN_HOUR
    )
    client, email = Auth(app, sandbox).sign_in(MAKER, step_up=True)
    transport.arm("POST", f"/app/partners/{PARTNER_A}/process-request")
    lost = post_top_up(client, open_form(client), "310.50", observations="retry me")
    assert lost.status_code == 504
    html = lost.get_data(as_text=True)
    assert "Outcome unknown — check the list before retrying." in html
    assert "retry me" in html
    assert len(requests_by(sandbox, email)) == 1, "the upstream did create it"
    again = post_top_up(client, form_state(html), "310.50", evidence=None, observations="retry me")
    assert again.status_code == 303, again.get_data(as_text=True)
    assert len(requests_by(sandbox, email)) == 1, "the retry replayed instead of creating a second"
    first, second = clean_faults.calls(CREATE_ROUTE)
    assert first["idempotencyKey"] == second["idempotencyKey"]


def test_a_refusal_releases_the_key_and_keeps_everything(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, email = auth.sign_in(MAKER, step_up=True)
    clean_faults.set_fault(
        CREATE_ROUTE, "status", status=400, code="7002", message="Invalid amount format.", times=1
    )
    refused = post_top_up(client, open_form(client), "99.90", observations="refused once")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Invalid amount format. (7002)" in html
    assert "refused once" in html
    assert _create_events(console, email) == [("refused", "7002")]
    done = post_top_up(client, form_state(html), "99.90", evidence=None, observations="refused once")
    assert done.status_code == 303
    assert len(requests_by(sandbox, email)) == 1


def _create_events(app: Flask, email: str) -> list[tuple[str, str | None]]:
    """The operator's "process_request_created" events without a target (the failed ones), oldest first."""
    with app.app_context():
        from webapp.store.audit import recent_events

        events = recent_events(partner_id=PARTNER_A, limit=500)
    return [
        (e.outcome, (e.detail or {}).get("code"))
        for e in reversed(events)
        if e.action == "process_request_created" and e.actor_email == email and e.target is None
    ]


def test_a_key_already_being_sent_by_someone_else_sends_nothing_and_gets_a_new_key(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, email = auth.sign_in(MAKER, step_up=True)
    state = open_form(client)
    with console.app_context():
        from webapp.store import submissions

        submissions.claim(state["submission_key"], kind="process_request", actor_id=-1, partner_id=PARTNER_A)
    busy = post_top_up(client, state, "42", observations="not twice")
    assert busy.status_code == 409
    html = busy.get_data(as_text=True)
    assert "This request is already being sent. Check the list before sending it again." in html
    assert "not twice" in html
    assert clean_faults.calls(CREATE_ROUTE) == []
    fresh = form_state(html)
    assert fresh["submission_key"] != state["submission_key"]
    done = post_top_up(client, fresh, "42", evidence=None, observations="not twice")
    assert done.status_code == 303, done.get_data(as_text=True)
    assert len(requests_by(sandbox, email)) == 1


def test_a_plain_500_is_outcome_unknown_and_the_retry_sends_the_same_key(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    """The CMS may have stored the request before failing: the form says so and keeps its key."""
    client, email = auth.sign_in(MAKER, step_up=True)
    clean_faults.set_fault(CREATE_ROUTE, "status", status=500, times=1)
    lost = post_top_up(client, open_form(client), "41", observations="check first")
    assert lost.status_code == 504
    html = lost.get_data(as_text=True)
    assert "Outcome unknown — check the list before retrying." in html
    assert "check first" in html
    assert [outcome for outcome, _code in _create_events(console, email)] == ["unknown"]
    again = post_top_up(client, form_state(html), "41", evidence=None, observations="check first")
    assert again.status_code == 303, again.get_data(as_text=True)
    first, second = clean_faults.calls(CREATE_ROUTE)
    assert first["idempotencyKey"] == second["idempotencyKey"]


def test_cms_unavailable_keeps_the_form(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(MAKER, step_up=True)
    clean_faults.set_fault(CREATE_ROUTE, "status", status=503, times=1)
    refused = post_top_up(client, open_form(client), "20", observations="still here")
    assert refused.status_code == 502
    html = refused.get_data(as_text=True)
    assert 'data-testid="problem"' in html
    assert "still here" in html
    assert 'data-testid="staged-evidence"' in html


def test_creating_needs_the_create_permission(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client, _ = auth.sign_in(["balance-management:list"], step_up=True)
    assert client.get(f"/p/{PARTNER_A}/top-ups/new").status_code == 403
    listing = client.get(f"/p/{PARTNER_A}/top-ups/").get_data(as_text=True)
    assert 'data-testid="new-topup"' not in listing


def test_staged_files_are_private(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client, _ = auth.sign_in(MAKER, step_up=True)
    post_top_up(client, open_form(client), "0")
    files = staged_files(console)
    assert files
    assert {f.stat().st_mode & 0o777 for f in files} == {0o600}
