"""The sandbox's cardholder and card API over real HTTP: lists, create rules, tenancy, masking, close and the
card state machine."""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.support.sandbox import SandboxHandle
from tests.support.sandbox_login import Operator, new_operator, operator

MASKED_PAN = re.compile(r"\d{6}\*+\d{4}")


def unique_email() -> str:
    return f"th.{uuid.uuid4().hex[:12]}@example.com"


def unique_dpi() -> str:
    return f"{uuid.uuid4().int % 10**13:013d}"


def cardholder_body(card_id: int, **overrides: Any) -> dict[str, Any]:
    """A valid create body with a fresh email and DPI."""
    body: dict[str, Any] = {
        "name": "María José",
        "lastName": "Ajú Xicará",
        "address": "5a Avenida 10-20, Zona 1, Guatemala",
        "countryOfBirth": "GT",
        "dateOfBirth": "1992-08-30",
        "maritalStatus": "casado",
        "gender": "F",
        "phoneNumber": "50230001234",
        "email": unique_email(),
        "documentType": "DPI",
        "documentNumber": unique_dpi(),
        "cardId": card_id,
    }
    body.update(overrides)
    return body


def error_fields(resp: httpx.Response) -> dict[str, str]:
    return {item.get("field", ""): item["code"] for item in resp.json()["errors"]}


def error_code(resp: httpx.Response) -> str:
    return str(resp.json()["errors"][0]["code"])


class FreeCards:
    """Hands out free cards of a partner, one per call, fetching a page at a time."""

    def __init__(self, op: Operator, partner_id: int) -> None:
        self._op, self._partner, self._pool, self._page = op, partner_id, list[int](), 0

    def __call__(self) -> int:
        while not self._pool:
            self._page += 1
            resp = self._op.http.get(
                f"/app/partners/{self._partner}/cards",
                params={"assigned": "false", "limit": 100, "page": self._page},
            )
            self._pool = [card["cardId"] for card in resp.json()["data"]["items"]]
            assert self._pool or self._page < 50, "no free cards left"
        return self._pool.pop()


def _name(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}@ops.example"


@pytest.fixture(scope="module")
def clerk(sandbox: SandboxHandle) -> Iterator[Operator]:
    """Full cardholder and card rights on partners 1 and 2, subject to OTP, token not elevated."""
    perms = ["cardholders:*", "cards-admin:*"]
    op = new_operator(sandbox, _name("clerk"), {1: perms, 2: perms}, elevated=False)
    yield op
    op.close()


@pytest.fixture(scope="module")
def viewer(sandbox: SandboxHandle) -> Iterator[Operator]:
    op = new_operator(sandbox, _name("viewer"), {1: ["cardholders:list", "cardholders:detail"]})
    yield op
    op.close()


@pytest.fixture(scope="module")
def free_card(clerk: Operator) -> FreeCards:
    return FreeCards(clerk, 1)


@pytest.fixture(scope="module")
def created(clerk: Operator, free_card: FreeCards) -> Callable[..., dict[str, Any]]:
    """Create a cardholder on partner 1 and answer its record."""

    def make(**overrides: Any) -> dict[str, Any]:
        resp = clerk.http.post("/app/partners/1/cardholders", json=cardholder_body(free_card(), **overrides))
        assert resp.status_code == 201, resp.text
        return dict(resp.json()["data"])

    return make


# -- lists ---------------------------------------------------------------------------------------------------


def test_seeded_partners_have_cardholders_and_free_cards(sandbox: SandboxHandle) -> None:
    admin = operator(sandbox, "diego.admin@demo.migo")
    totals = {}
    for pid in (1, 2, 3):
        holders = admin.http.get(f"/app/partners/{pid}/cardholders", params={"limit": 1}).json()["data"]
        free = admin.http.get(f"/app/partners/{pid}/cards", params={"assigned": "false", "limit": 1}).json()
        totals[pid] = holders["total"]
        # The seed leaves 520 free cards per partner; other tests of the shared run assign some of them.
        assert free["data"]["total"] >= 300
    assert totals[1] >= 2400
    assert 140 <= totals[2] < 400
    assert 30 <= totals[3] < 150
    admin.close()


def test_list_pages_are_disjoint_and_limit_is_bounded(clerk: Operator) -> None:
    first = clerk.http.get("/app/partners/1/cardholders", params={"page": 1, "limit": 25}).json()["data"]
    second = clerk.http.get("/app/partners/1/cardholders", params={"page": 2, "limit": 25}).json()["data"]
    assert len(first["items"]) == len(second["items"]) == 25
    assert {i["cardholderId"] for i in first["items"]}.isdisjoint(i["cardholderId"] for i in second["items"])
    assert first["totalPages"] == math.ceil(first["total"] / 25)
    largest = clerk.http.get("/app/partners/1/cardholders", params={"limit": 100}).json()["data"]
    assert len(largest["items"]) == 100
    for value in ("0", "101", " 42", "42 ", "+5", "", "2147483648"):
        bad = clerk.http.get("/app/partners/1/cardholders", params={"limit": value})
        assert bad.status_code == 400, value
        assert error_fields(bad) == {"limit": "7000"}
    padded_page = clerk.http.get("/app/partners/1/cardholders", params={"page": " 2"})
    assert error_fields(padded_page) == {"page": "7000"}


def test_list_items_carry_the_documented_fields(clerk: Operator) -> None:
    item = clerk.http.get("/app/partners/1/cardholders", params={"limit": 1}).json()["data"]["items"][0]
    assert set(item) == {
        "cardholderId", "name", "lastName", "email", "phoneNumber", "documentType", "documentNumber",
        "status", "createdAt", "cardCount",
    }  # fmt: skip


@pytest.mark.parametrize("field", ["email", "phoneNumber", "documentNumber"])
def test_search_matches_substrings_case_insensitively(clerk: Operator, field: str) -> None:
    sample = clerk.http.get("/app/partners/1/cardholders", params={"limit": 5, "page": 7}).json()["data"]
    target = sample["items"][2]
    needle = target[field][2:9].upper()
    found = clerk.http.get("/app/partners/1/cardholders", params={"searchText": needle, "limit": 100})
    items = found.json()["data"]["items"]
    assert target["cardholderId"] in {i["cardholderId"] for i in items}
    for item in items:
        haystack = [item["email"].lower(), item["phoneNumber"], item["documentNumber"].lower()]
        assert any(needle.lower() in text for text in haystack)


def test_search_treats_wildcards_literally(clerk: Operator) -> None:
    data = clerk.http.get("/app/partners/1/cardholders", params={"searchText": "%_"}).json()["data"]
    assert data["total"] == 0


@pytest.mark.parametrize("sort_by", ["createdAt", "name", "lastName", "email", "status"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_orders_by_the_chosen_field(clerk: Operator, sort_by: str, order: str) -> None:
    resp = clerk.http.get(
        "/app/partners/1/cardholders", params={"sortBy": sort_by, "sortOrder": order, "limit": 100, "page": 3}
    )
    keys = [item[sort_by] for item in resp.json()["data"]["items"]]
    assert len(keys) == 100
    assert keys == sorted(keys, reverse=order == "desc")


def test_unknown_sort_field_is_refused(clerk: Operator) -> None:
    resp = clerk.http.get("/app/partners/1/cardholders", params={"sortBy": "documentNumber"})
    assert resp.status_code == 400
    assert error_fields(resp) == {"sortBy": "7000"}


def test_status_filter(clerk: Operator) -> None:
    data = clerk.http.get("/app/partners/1/cardholders", params={"status": "closed", "limit": 100}).json()[
        "data"
    ]
    assert data["total"] > 0
    assert {item["status"] for item in data["items"]} == {"closed"}
    assert clerk.http.get("/app/partners/1/cardholders", params={"status": "gone"}).status_code == 400


def test_search_and_sort_stay_fast_over_thousands_of_rows(clerk: Operator) -> None:
    started = time.perf_counter()
    queries: list[dict[str, str | int]] = [
        {"searchText": "example", "sortBy": "lastName", "sortOrder": "asc", "limit": 100, "page": 12},
        {"sortBy": "createdAt", "sortOrder": "desc", "limit": 100, "page": 20},
    ]
    for params in queries:
        assert clerk.http.get("/app/partners/1/cardholders", params=params).status_code == 200
    assert time.perf_counter() - started < 1.5


# -- create --------------------------------------------------------------------------------------------------


class YearsAgo:
    """A birth date counted back from the day the test runs, not the day it was collected.

    A run collected before midnight and reaching this test after it would otherwise send a date that
    had just become valid (an eighteenth birthday falling on the run's second day).
    """

    def __init__(self, years: int, days: int = 0) -> None:
        self.years, self.days = years, days

    def __repr__(self) -> str:
        return f"{self.years}y{self.days:+d}d-ago"

    def value(self) -> str:
        today = date.today()
        return (today.replace(year=today.year - self.years) + timedelta(days=self.days)).isoformat()


INVALID_FIELDS: list[tuple[str, Any]] = [
    ("name", ""),
    ("name", "   "),
    ("lastName", "x" * 101),
    ("address", "x" * 201),
    ("countryOfBirth", "GTM"),
    ("countryOfBirth", "gt"),
    ("countryOfBirth", "XX"),
    ("dateOfBirth", "1990-02-30"),
    ("dateOfBirth", "30/08/1992"),
    ("dateOfBirth", YearsAgo(18, days=1)),
    ("dateOfBirth", YearsAgo(121)),
    ("maritalStatus", "married"),
    ("gender", "X"),
    ("phoneNumber", "+50230001234"),
    ("phoneNumber", "1234567"),
    ("phoneNumber", "50220001234"),  # the right shape, but no Guatemalan number starts 20
    ("phoneNumber", "1234567890123456"),
    ("email", "not-an-email"),
    ("email", "ana@example"),
    ("documentType", "DNI"),
    ("documentNumber", "123456789012"),
    ("cardId", 0),
    ("cardId", -4),
    ("cardId", "42"),
    ("cardId", True),
    ("cardId", 4.5),
    ("nickname", "Majo"),
]


@pytest.mark.parametrize(("field", "value"), INVALID_FIELDS)
def test_create_rules_name_the_offending_field(
    clerk: Operator, free_card: FreeCards, field: str, value: Any
) -> None:
    card = free_card()
    if isinstance(value, YearsAgo):
        value = value.value()
    resp = clerk.http.post("/app/partners/1/cardholders", json=cardholder_body(card, **{field: value}))
    assert resp.status_code == 400, resp.text
    assert error_fields(resp) == {field: "7000"}
    assert value not in [item["message"] for item in resp.json()["errors"]]


@pytest.mark.parametrize(
    ("document_type", "number", "accepted"),
    [
        ("NIT", "1234567K", True),
        ("NIT", "1", False),
        ("NIT", "1234567890123", False),
        ("PASSPORT", "G12345678", True),
        ("PASSPORT", "G12-3", False),
        ("RESIDENCE_ID", "AB12345", True),
        ("DPI", "12345678901234", False),
    ],
)
def test_document_number_rule_follows_its_type(
    clerk: Operator, free_card: FreeCards, document_type: str, number: str, accepted: bool
) -> None:
    suffix = (
        uuid.uuid4().hex[:4].upper() if document_type in ("PASSPORT", "RESIDENCE_ID") and accepted else ""
    )
    body = cardholder_body(free_card(), documentType=document_type, documentNumber=number + suffix)
    if document_type == "NIT" and accepted:
        body["documentNumber"] = f"{uuid.uuid4().int % 10**7:07d}K"
    resp = clerk.http.post("/app/partners/1/cardholders", json=body)
    assert resp.status_code == (201 if accepted else 400), resp.text
    if not accepted:
        assert error_fields(resp) == {"documentNumber": "7000"}


def test_every_missing_field_is_reported(clerk: Operator) -> None:
    resp = clerk.http.post("/app/partners/1/cardholders", json={})
    assert resp.status_code == 400
    assert set(error_fields(resp)) == set(cardholder_body(1))


def test_create_answers_the_record_and_keeps_the_card_inactive(clerk: Operator, free_card: FreeCards) -> None:
    card = free_card()
    body = cardholder_body(card, name="  Ana Lucía ", email=unique_email().upper())
    resp = clerk.http.post("/app/partners/1/cardholders", json=body)
    assert resp.status_code == 201
    data = resp.json()["data"]
    assert data["name"] == "Ana Lucía"
    assert data["email"] == body["email"].lower()
    assert data["status"] == "active"
    assert data["piiMasked"] is False
    assert [(c["cardId"], c["status"], c["cardholderId"]) for c in data["cards"]] == [
        (card, "inactive", data["cardholderId"])
    ]
    listed = clerk.http.get("/app/partners/1/cardholders", params={"searchText": body["documentNumber"]})
    assert [(i["cardholderId"], i["cardCount"]) for i in listed.json()["data"]["items"]] == [
        (data["cardholderId"], 1)
    ]
    again = clerk.http.post("/app/partners/1/cardholders", json=cardholder_body(card))
    assert again.status_code == 409
    assert error_fields(again) == {"cardId": "8014"}


def test_duplicates_are_refused_per_partner(clerk: Operator, created: Callable[..., dict[str, Any]]) -> None:
    first = created()
    free_two = FreeCards(clerk, 2)
    same_email = cardholder_body(FreeCards(clerk, 1)(), email=first["email"].upper())
    resp = clerk.http.post("/app/partners/1/cardholders", json=same_email)
    assert resp.status_code == 409
    assert error_fields(resp) == {"email": "8013"}
    same_document = cardholder_body(FreeCards(clerk, 1)(), documentNumber=first["documentNumber"])
    resp = clerk.http.post("/app/partners/1/cardholders", json=same_document)
    assert resp.status_code == 409
    assert error_fields(resp) == {"documentNumber": "8013"}
    elsewhere = cardholder_body(free_two(), email=first["email"], documentNumber=first["documentNumber"])
    assert clerk.http.post("/app/partners/2/cardholders", json=elsewhere).status_code == 201


def test_card_must_be_a_free_card_of_that_partner(
    clerk: Operator, created: Callable[..., dict[str, Any]]
) -> None:
    other_partner_card = FreeCards(clerk, 2)()
    for card in (other_partner_card, 99_999_999, created()["cards"][0]["cardId"]):
        resp = clerk.http.post("/app/partners/1/cardholders", json=cardholder_body(card))
        assert resp.status_code == 409
        assert error_fields(resp) == {"cardId": "8014"}


def test_create_is_idempotent_per_key(clerk: Operator, free_card: FreeCards) -> None:
    body = cardholder_body(free_card())
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = clerk.http.post("/app/partners/1/cardholders", json=body, headers=key)
    replay = clerk.http.post("/app/partners/1/cardholders", json=body, headers=key)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["data"]["cardholderId"] == first.json()["data"]["cardholderId"]
    changed = clerk.http.post("/app/partners/1/cardholders", json={**body, "name": "Otra"}, headers=key)
    assert changed.status_code == 409
    assert error_code(changed) == "8022"


# -- tenancy and permissions ---------------------------------------------------------------------------------


def test_unassigned_partner_is_forbidden(clerk: Operator) -> None:
    for resp in (
        clerk.http.get("/app/partners/3/cardholders"),
        clerk.http.post("/app/partners/3/cardholders", json=cardholder_body(1)),
        clerk.http.post("/app/partners/3/cardholders/1", json={}),
    ):
        assert resp.status_code == 403
        assert error_code(resp) == "8010"


def test_cardholder_of_another_partner_is_not_found(clerk: Operator) -> None:
    other = clerk.http.get("/app/partners/2/cardholders", params={"limit": 1}).json()["data"]["items"][0]
    resp = clerk.http.post(f"/app/partners/1/cardholders/{other['cardholderId']}", json={})
    assert resp.status_code == 404
    assert error_code(resp) == "8012"


def test_missing_permissions_are_denied(viewer: Operator, created: Callable[..., dict[str, Any]]) -> None:
    holder = created()
    hid = holder["cardholderId"]
    card = holder["cards"][0]["cardId"]
    for resp in (
        viewer.http.post("/app/partners/1/cardholders", json=cardholder_body(1)),
        viewer.http.patch(f"/app/partners/1/cardholders/{hid}", json={"name": "X"}),
        viewer.http.post(f"/app/partners/1/cardholders/{hid}/close", json={"reason": "x"}),
        viewer.http.get(f"/app/partners/1/cardholders/{hid}/cards"),
        viewer.http.get("/app/partners/1/cards", params={"assigned": "false"}),
        viewer.http.post(f"/app/partners/1/cards/{card}/activate"),
    ):
        assert resp.status_code == 403, resp.request.url
        assert error_code(resp) == "8011"


# -- detail, masking, OTP reveal -----------------------------------------------------------------------------


def test_detail_is_masked_without_an_otp(clerk: Operator, created: Callable[..., dict[str, Any]]) -> None:
    holder = created()
    resp = clerk.http.post(f"/app/partners/1/cardholders/{holder['cardholderId']}", json={})
    data = resp.json()["data"]
    assert data["piiMasked"] is True
    assert data["documentNumber"] == "*" * 9 + holder["documentNumber"][-4:]
    assert data["phoneNumber"].endswith(holder["phoneNumber"][-4:])
    assert holder["phoneNumber"] not in resp.text
    assert holder["documentNumber"] not in resp.text
    assert holder["email"] not in resp.text
    assert data["email"].endswith("@example.com")
    for card in data["cards"]:
        assert MASKED_PAN.fullmatch(card["maskedPan"])
        assert card["last4"] == card["maskedPan"][-4:]
        assert "pan" not in card


def test_inline_otp_reveals_once(clerk: Operator, created: Callable[..., dict[str, Any]]) -> None:
    holder = created()
    url = f"/app/partners/1/cardholders/{holder['cardholderId']}"
    code = clerk.elevation_code()
    revealed = clerk.http.post(url, json={"otp": code}).json()["data"]
    assert revealed["piiMasked"] is False
    assert (revealed["documentNumber"], revealed["email"], revealed["phoneNumber"]) == (
        holder["documentNumber"],
        holder["email"],
        holder["phoneNumber"],
    )
    reused = clerk.http.post(url, json={"otp": code})
    assert reused.status_code == 400
    assert error_fields(reused) == {"otp": "8007"}


def test_elevated_token_reveals_without_a_code(sandbox: SandboxHandle) -> None:
    op = new_operator(sandbox, _name("elevated"), {1: ["cardholders:*"]}, elevated=True)
    item = op.http.get("/app/partners/1/cardholders", params={"limit": 1}).json()["data"]["items"][0]
    data = op.http.post(f"/app/partners/1/cardholders/{item['cardholderId']}", json={}).json()["data"]
    assert data["piiMasked"] is False
    assert data["documentNumber"] == item["documentNumber"]
    assert "cards" not in data  # no cards-admin:detail
    assert data["cardCount"] == item["cardCount"]
    op.close()


def test_otp_does_not_reveal_without_the_otp_permission(sandbox: SandboxHandle, viewer: Operator) -> None:
    item = viewer.http.get("/app/partners/1/cardholders", params={"limit": 1}).json()["data"]["items"][0]
    code = viewer.elevation_code()
    resp = viewer.http.post(f"/app/partners/1/cardholders/{item['cardholderId']}", json={"otp": code})
    assert resp.json()["data"]["piiMasked"] is True
    assert item["documentNumber"] not in resp.text


@pytest.fixture(scope="module")
def trusted(sandbox: SandboxHandle) -> Iterator[Operator]:
    """Every cardholder permission, not subject to OTP elevation, token not elevated."""
    op = new_operator(sandbox, _name("trusted"), {1: ["cardholders:*"]}, elevated=False, otp_elevation=False)
    yield op
    op.close()


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.mark.parametrize(
    "otp",
    [
        pytest.param("wrong", id="wrong-code"),
        pytest.param("12345", id="five-digits"),
        pytest.param("1234567", id="seven-digits"),
        pytest.param("padded", id="padded-real-code"),
        pytest.param("abcdef", id="letters"),
        pytest.param("١٢٣٤٥٦", id="arabic-indic-digits"),
        pytest.param(123456, id="number"),
        pytest.param(None, id="null"),
        pytest.param("", id="empty"),
    ],
)
def test_a_wrong_or_malformed_inline_otp_never_unmasks(
    trusted: Operator, created: Callable[..., dict[str, Any]], otp: Any
) -> None:
    """Also for an operator who is not subject to OTP elevation: a sent code is checked, not waved through.
    A string of the wrong shape is a wrong code (8006); any other JSON value, `null` included, is a malformed
    body (7000), as the contract's `OtpCode` type says."""
    holder = created()
    code = trusted.elevation_code()
    sent = {"wrong": _wrong(code), "padded": f" {code}"}.get(otp, otp) if isinstance(otp, str) else otp

    resp = trusted.http.post(f"/app/partners/1/cardholders/{holder['cardholderId']}", json={"otp": sent})

    assert resp.status_code == 400
    assert error_fields(resp) == {"otp": "8006" if isinstance(otp, str) else "7000"}
    assert holder["documentNumber"] not in resp.text
    revealed = trusted.http.post(f"/app/partners/1/cardholders/{holder['cardholderId']}", json={"otp": code})
    assert revealed.json()["data"]["piiMasked"] is False  # the real code was not burnt by the refusal


# -- update and close ----------------------------------------------------------------------------------------


def test_update_changes_allowed_fields_only(clerk: Operator, created: Callable[..., dict[str, Any]]) -> None:
    holder = created()
    other = created()
    url = f"/app/partners/1/cardholders/{holder['cardholderId']}"
    resp = clerk.http.patch(url, json={"name": "Juana", "address": "3a Calle 4-56, Zona 10, Mixco"})
    assert resp.status_code == 200
    assert (resp.json()["data"]["name"], resp.json()["data"]["address"]) == (
        "Juana",
        "3a Calle 4-56, Zona 10, Mixco",
    )
    for body, field, code in (
        ({"documentNumber": unique_dpi()}, "documentNumber", "7000"),
        ({"gender": "Q"}, "gender", "7000"),
        ({}, "body", "7000"),
        ({"email": other["email"]}, "email", "8013"),
    ):
        refused = clerk.http.patch(url, json=body)
        assert error_fields(refused) == {field: code}


def test_close_needs_an_otp_and_cancels_the_cards(
    clerk: Operator, created: Callable[..., dict[str, Any]]
) -> None:
    holder = created()
    hid, card = holder["cardholderId"], holder["cards"][0]["cardId"]
    assert clerk.http.post(f"/app/partners/1/cards/{card}/activate").json()["data"]["status"] == "active"
    url = f"/app/partners/1/cardholders/{hid}/close"
    no_reason = clerk.http.post(url, json={"otp": "123456"})
    assert error_fields(no_reason) == {"reason": "7000"}
    no_otp = clerk.http.post(url, json={"reason": "Solicitud del cliente"})
    assert no_otp.status_code == 403
    assert error_code(no_otp) == "8005"
    closed = clerk.http.post(url, json={"reason": "Solicitud del cliente", "otp": clerk.elevation_code()})
    assert closed.status_code == 200
    data = closed.json()["data"]
    assert (data["status"], data["closeReason"]) == ("closed", "Solicitud del cliente")
    assert data["closedAt"]
    cards = clerk.http.get(f"/app/partners/1/cardholders/{hid}/cards").json()["data"]
    assert {c["status"] for c in cards} == {"cancelled"}
    again = clerk.http.post(url, json={"reason": "otra vez", "otp": "123456"})
    assert (again.status_code, error_code(again)) == (409, "8020")
    edit = clerk.http.patch(f"/app/partners/1/cardholders/{hid}", json={"name": "Nueva"})
    assert (edit.status_code, error_code(edit)) == (409, "8020")
    reactivate = clerk.http.post(f"/app/partners/1/cards/{card}/activate")
    assert (reactivate.status_code, error_code(reactivate)) == (409, "7213")


def test_operator_not_subject_to_elevation_closes_without_a_code(
    sandbox: SandboxHandle, created: Callable[..., dict[str, Any]]
) -> None:
    op = new_operator(sandbox, _name("trusted"), {1: ["cardholders:*"]}, elevated=False, otp_elevation=False)
    holder = created()
    resp = op.http.post(
        f"/app/partners/1/cardholders/{holder['cardholderId']}/close", json={"reason": "baja"}
    )
    assert resp.status_code == 200
    assert resp.json()["data"]["status"] == "closed"
    op.close()


# -- cards ---------------------------------------------------------------------------------------------------


def test_card_state_machine(clerk: Operator, created: Callable[..., dict[str, Any]]) -> None:
    card = created()["cards"][0]["cardId"]
    base = f"/app/partners/1/cards/{card}"

    def act(action: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return clerk.http.post(f"{base}/{action}", json=body or {})

    for action, body in (("unblock", None), ("block", {"reason": "robo"})):
        refused = act(action, body)
        assert (refused.status_code, error_code(refused)) == (409, "7213")
    assert act("activate").json()["data"]["status"] == "active"
    assert error_code(act("activate")) == "7213"
    assert error_fields(act("block")) == {"reason": "7000"}
    assert act("block", {"reason": "robo"}).json()["data"]["status"] == "blocked"
    assert error_code(act("block", {"reason": "robo"})) == "7213"
    assert act("unblock").json()["data"]["status"] == "active"


def test_free_card_cannot_be_activated_and_foreign_cards_are_unknown(
    clerk: Operator, free_card: FreeCards
) -> None:
    resp = clerk.http.post(f"/app/partners/1/cards/{free_card()}/activate")
    assert (resp.status_code, error_code(resp)) == (409, "7213")
    foreign = FreeCards(clerk, 2)()
    for card in (foreign, 99_999_999):
        missing = clerk.http.post(f"/app/partners/1/cards/{card}/activate")
        assert (missing.status_code, error_code(missing)) == (404, "7200")


def test_card_lists(clerk: Operator, created: Callable[..., dict[str, Any]]) -> None:
    holder = created()
    cards = clerk.http.get(f"/app/partners/1/cardholders/{holder['cardholderId']}/cards").json()["data"]
    assert [c["cardholderId"] for c in cards] == [holder["cardholderId"]]
    free = clerk.http.get("/app/partners/1/cards", params={"assigned": "false", "limit": 100}).json()["data"]
    assert {(c["cardholderId"], c["status"]) for c in free["items"]} == {(None, "inactive")}
    assigned = clerk.http.get("/app/partners/1/cards", params={"assigned": "true", "limit": 100}).json()[
        "data"
    ]
    assert all(c["cardholderId"] is not None for c in assigned["items"])
    assert clerk.http.get("/app/partners/1/cards", params={"assigned": "maybe"}).status_code == 400
