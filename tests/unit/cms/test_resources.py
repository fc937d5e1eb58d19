"""Each operation sends the contract's method, path, query and body, and parses its answer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.unit.cms.fakes import FakeCms, envelope, holder, json_body, make_client
from webapp.cms import models
from webapp.cms.resources import seg
from webapp.cms.resources.process_requests import _safe_file_name

USER = {"id": 3, "email": "u@demo.migo", "name": "U", "status": "active"}
CARD = {"cardId": 4, "status": "active", "maskedPan": "410000******1234"}
HOLDER = {"cardholderId": 9, "name": "A", "lastName": "B", "status": "active"}
PR = {"id": 5, "requestedAmount": 10.5, "status": "pending"}
PAGE = {"page": 1, "limit": 10, "total": 0, "totalPages": 0}


def _capture(route: str, data: Any, status: int = 200) -> tuple[FakeCms, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return envelope(data, status=status)

    return FakeCms(routes={route: answer}), seen


def test_cardholder_list_query() -> None:
    fake, seen = _capture("GET /app/partners/1/cardholders", {**PAGE, "items": [HOLDER]})
    page = make_client(fake).cardholders.list(holder(), 1, page=2, limit=50, search="ana", status="active")
    assert dict(seen[0].url.params) == {
        "page": "2",
        "limit": "50",
        "searchText": "ana",
        "sortBy": "createdAt",
        "sortOrder": "desc",
        "status": "active",
    }
    assert page.items[0].cardholder_id == 9


def test_cardholder_detail_posts_the_otp_in_the_body_never_the_url() -> None:
    fake, seen = _capture("POST /app/partners/1/cardholders/9", HOLDER)
    make_client(fake).cardholders.detail(holder(), 1, 9, otp="123456")
    assert json_body(seen[0]) == {"otp": "123456"}
    assert "123456" not in str(seen[0].url)


def test_cardholder_create_sends_the_twelve_fields_and_the_idempotency_key() -> None:
    fake, seen = _capture("POST /app/partners/1/cardholders", HOLDER, status=201)
    new = models.NewCardholder(
        "Ana",
        "López",
        "5a Av",
        "GT",
        "1990-01-02",
        "soltero",
        "F",
        "50230001234",
        "ana@example.com",
        "DPI",
        "1234567890101",
        42,
    )
    make_client(fake).cardholders.create(holder(), 1, new, idempotency_key="idem-1")
    body = json_body(seen[0])
    assert len(body) == 12
    assert (body["cardId"], body["lastName"]) == (42, "López")
    assert seen[0].headers["Idempotency-Key"] == "idem-1"


def test_cardholder_update_forwards_only_allowlisted_fields() -> None:
    fake, seen = _capture("PATCH /app/partners/1/cardholders/9", HOLDER)
    make_client(fake).cardholders.update(holder(), 1, 9, {"name": "X", "status": "closed", "partnerId": 2})
    assert json_body(seen[0]) == {"name": "X"}


def test_cardholder_close() -> None:
    fake, seen = _capture("POST /app/partners/1/cardholders/9/close", {**HOLDER, "status": "closed"})
    result = make_client(fake).cardholders.close(holder(), 1, 9, "fraud", otp="654321")
    assert json_body(seen[0]) == {"reason": "fraud", "otp": "654321"}
    assert result.status == "closed"


@pytest.mark.parametrize(
    ("action", "body"), [("activate", {}), ("block", {"reason": "lost"}), ("unblock", {})]
)
def test_card_actions(action: str, body: dict[str, str]) -> None:
    fake, seen = _capture(f"POST /app/partners/1/cards/4/{action}", CARD)
    cards = make_client(fake).cards
    card = (
        cards.block(holder(), 1, 4, "lost") if action == "block" else getattr(cards, action)(holder(), 1, 4)
    )
    assert json_body(seen[0]) == body
    assert card.card_id == 4


def test_free_cards_and_cards_of_a_cardholder() -> None:
    fake, seen = _capture("GET /app/partners/1/cards", {**PAGE, "items": [CARD]})
    make_client(fake).cards.free(holder(), 1, page=1, limit=25)
    assert dict(seen[0].url.params) == {"assigned": "false", "page": "1", "limit": "25"}
    fake2, _ = _capture("GET /app/partners/1/cardholders/9/cards", [CARD])
    assert make_client(fake2).cards.of_cardholder(holder(), 1, 9)[0].masked_pan == "410000******1234"


def test_users_operations() -> None:
    fake, seen = _capture("POST /app/partners/1/users", USER, status=201)
    make_client(fake).users.create(
        holder(), 1, "u@demo.migo", "U", "Secret-123!", idempotency_key="k", otp="111111"
    )
    assert json_body(seen[0]) == {
        "email": "u@demo.migo",
        "name": "U",
        "password": "Secret-123!",
        "otp": "111111",
    }
    fake, seen = _capture("PUT /app/partners/1/users/3/status", {**USER, "status": "inactive"})
    assert make_client(fake).users.set_status(holder(), 1, 3, "inactive").status == "inactive"
    fake, seen = _capture("GET /app/partners/1/users", {**PAGE, "items": [USER]})
    make_client(fake).users.list(holder(), 1, search="u@", sort_by="email", sort_order="asc")
    assert dict(seen[0].url.params) == {
        "page": "1",
        "limit": "25",
        "searchText": "u@",
        "sortBy": "email",
        "sortOrder": "asc",
    }


def test_permissions_grant_body_and_answer() -> None:
    answer = {
        "cmsUserId": 3,
        "partnerId": 1,
        "permissions": [{"permissionId": 2, "resource": "users", "action": "list"}],
    }
    fake, seen = _capture("POST /app/users/3/permissions", answer)
    result = make_client(fake).permissions.grant(holder(), 3, [(2, 1)])
    assert json_body(seen[0]) == {"permissions": [{"permissionId": 2, "partnerId": 1}]}
    assert result[0].permission_keys() == frozenset({"users:list"})
    fake, seen = _capture("POST /app/users/3/permissions/revoke", [answer])
    assert make_client(fake).permissions.revoke(holder(), 3, [(2, 1)])[0].partner_id == 1


def test_upload_is_multipart_with_the_documented_field() -> None:
    fake, seen = _capture("POST /app/partners/1/cards/upload", {"id": "bat_01HZZ"})
    batch = make_client(fake).uploads.submit(
        holder(), 1, "cards", "cards.xlsx", b"PK\x03\x04data", "idem-2", otp="222222"
    )
    assert batch == "bat_01HZZ"
    content = seen[0].content
    assert b'name="cards"; filename="cards.xlsx"' in content
    assert b'name="otp"' in content
    assert seen[0].headers["Idempotency-Key"] == "idem-2"


def test_process_request_create_sends_exact_amount_text() -> None:
    fake, seen = _capture("POST /app/partners/1/process-request", PR, status=201)
    make_client(fake).process_requests.create(
        holder(), 1, Decimal("1500.50"), "top up", "ev.pdf", b"%PDF-1.4", "application/pdf", "idem-3"
    )
    assert b"1500.50" in seen[0].content
    assert b'name="evidence"; filename="ev.pdf"' in seen[0].content


def test_process_request_list_filters() -> None:
    fake, seen = _capture("GET /app/partners/1/process-requests", {**PAGE, "items": [PR]})
    from datetime import date

    make_client(fake).process_requests.list(holder(), 1, status="pending", date_from=date(2025, 1, 1))
    assert dict(seen[0].url.params) == {"page": "1", "limit": "10", "status": "pending", "from": "2025-01-01"}


def test_evidence_download_is_raw_with_a_safe_name() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=b"%PDF-1.4 bytes",
            headers={
                "Content-Type": "application/pdf",
                "Content-Disposition": 'attachment; filename="../../etc/ev.pdf"',
            },
        )

    fake = FakeCms(routes={"GET /app/partners/1/process-requests/5/evidence": answer})
    ev = make_client(fake).process_requests.evidence(holder(), 1, 5)
    assert (ev.content, ev.content_type, ev.file_name) == (b"%PDF-1.4 bytes", "application/pdf", "ev.pdf")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (None, "evidence"),
        ("attachment; filename=a.png", "a.png"),
        ('attachment; filename="x\r\ny.pdf"', "xy.pdf"),
    ],
)
def test_safe_file_name(header: str | None, name: str) -> None:
    assert _safe_file_name(header) == name


@pytest.mark.parametrize(("value", "text"), [(5, "5"), ("bat_01", "bat_01"), ("../x", "..%2Fx")])
def test_path_segments_are_encoded(value: int | str, text: str) -> None:
    assert seg(value) == text


@pytest.mark.parametrize("value", [True, -1, ""])
def test_bad_path_segments_are_refused(value: int | str) -> None:
    with pytest.raises((TypeError, ValueError)):
        seg(value)
