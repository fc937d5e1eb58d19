"""Models tolerate unknown fields and enum values, refuse missing or mistyped required fields; pages parse."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.cms import errors, models
from webapp.cms.pagination import parse_page
from webapp.cms.wire import parse_json

CARDHOLDER = {
    "cardholderId": 12,
    "name": "María José",
    "lastName": "Ajú Xicará",
    "email": "m***@example.com",
    "phoneNumber": "502****1234",
    "documentType": "DPI",
    "documentNumber": "*********0101",
    "status": "suspended-by-risk",  # not an enum value we know: kept as text
    "createdAt": "2025-03-01T10:00:00Z",
    "address": "5a Avenida 10-20, Zona 1",
    "countryOfBirth": "GT",
    "dateOfBirth": "1990-05-04",
    "maritalStatus": "soltero",
    "gender": "F",
    "updatedAt": "2025-03-02T10:00:00Z",
    "closedAt": None,
    "piiMasked": True,
    "futureField": {"anything": [1, 2]},
    "cards": [
        {
            "cardId": 4,
            "maskedPan": "410000******1234",
            "last4": "1234",
            "status": "frozen",
            "balance": Decimal("10.50"),
            "currency": "GTQ",
            "expiresAt": "2029-01-31",
            "cardholderId": 12,
            "createdAt": "2025-03-01T10:00:00Z",
            "pan": "never-read",
        }
    ],
}


def test_cardholder_parses_with_unknown_fields_and_enum_values() -> None:
    holder = models.Cardholder.from_api(CARDHOLDER)
    assert holder.status == "suspended-by-risk"
    assert holder.date_of_birth == date(1990, 5, 4)
    assert holder.created_at == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert holder.cards[0].status == "frozen"
    assert holder.cards[0].balance == Decimal("10.50")
    assert holder.card_count == 1
    assert holder.pii_masked is True
    assert not hasattr(holder.cards[0], "pan")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cardholderId", None),
        ("cardholderId", "12"),
        ("name", 5),
        ("status", None),
        ("createdAt", "yesterday"),
        ("cards", "none"),
        ("piiMasked", "yes"),
        ("dateOfBirth", "04/05/1990"),
    ],
)
def test_cardholder_refuses_missing_or_mistyped_fields(key: str, value: Any) -> None:
    raw = dict(CARDHOLDER)
    if value is None:
        raw.pop(key)
    else:
        raw[key] = value
    with pytest.raises(errors.BadUpstreamResponse, match=key):
        models.Cardholder.from_api(raw)


def test_pii_masked_defaults_to_true_when_the_upstream_is_silent() -> None:
    raw = {k: v for k, v in CARDHOLDER.items() if k != "piiMasked"}
    assert models.Cardholder.from_api(raw).pii_masked is True


def test_money_stays_exact() -> None:
    body = parse_json(
        b'{"success": true, "data": {"available": 250000.10, "currency": "GTQ", "id": 1, "clientId": 1}}'
    )
    balance = models.Balance.from_api(body["data"])
    assert balance.available == Decimal("250000.10")
    assert models.Balance.from_api({"available": "12.30", "currency": "GTQ"}).available == Decimal("12.30")
    with pytest.raises(errors.BadUpstreamResponse):
        models.Balance.from_api({"available": True, "currency": "GTQ"})
    with pytest.raises(errors.BadUpstreamResponse):
        models.Balance.from_api({"available": "lots", "currency": "GTQ"})


def test_process_request_with_nulls_and_nested_people() -> None:
    raw = {
        "id": 3,
        "partnerId": 1,
        "requestedAmount": Decimal("1500.00"),
        "currency": "GTQ",
        "observations": None,
        "status": "pending",
        "requestedBy": {"id": 2, "name": "Ana", "email": "ana@demo.migo"},
        "decidedBy": None,
        "decisionReason": None,
        "evidence": {"fileName": "a.pdf", "contentType": "application/pdf", "size": 100, "sha256": "ab"},
        "createdAt": "2025-01-01T00:00:00Z",
        "updatedAt": "2025-01-01T00:00:00Z",
        "decidedAt": None,
    }
    pr = models.ProcessRequest.from_api(raw)
    assert pr.requested_by is not None
    assert pr.requested_by.email == "ana@demo.migo"
    assert pr.decided_by is None
    assert pr.evidence is not None
    assert pr.evidence.size == 100
    with pytest.raises(errors.BadUpstreamResponse, match="requestedBy"):
        models.ProcessRequest.from_api({**raw, "requestedBy": {"name": "no id"}})


def test_operator_and_partner_refs() -> None:
    op = models.Operator.from_api(
        {
            "id": 1,
            "email": "a@b",
            "name": "A",
            "status": "active",
            "isAdmin": False,
            "otpElevation": True,
            "lastLoginAt": None,
            "partners": [{"partnerId": 1, "name": "Banco Quetzal"}],
            "extra": 1,
        }
    )
    assert op.partners == [models.PartnerRef(1, "Banco Quetzal")]
    assert op.otp_elevation is True
    with pytest.raises(errors.BadUpstreamResponse):
        models.Operator.from_api({"id": 1, "email": "a@b", "name": "A", "partners": [{"name": "no id"}]})


def test_progress_frame_and_terminal_states() -> None:
    frame = models.ProgressFrame.from_api(
        {
            "batchId": "bat_1",
            "type": "cardholders",
            "status": "completed",
            "total": 3,
            "processed": 3,
            "succeeded": 2,
            "failed": 1,
            "errors": [{"row": 2, "code": "8013", "message": "dup", "field": "email"}],
        }
    )
    assert frame.terminal
    assert frame.errors[0].field == "email"
    assert not models.ProgressFrame.from_api({"batchId": "b", "status": "paused-by-ops"}).terminal


@pytest.mark.parametrize(
    "data",
    [
        {
            "items": [{"permissionId": 1, "resource": "users", "action": "list"}],
            "page": 2,
            "limit": 1,
            "total": 5,
            "totalPages": 5,
        },
        {
            "rows": [{"permissionId": 1, "resource": "users", "action": "list"}],
            "page": 2,
            "limit": 1,
            "total": 5,
        },
        {
            "data": [{"permissionId": 1, "resource": "users", "action": "list"}],
            "page": 2,
            "limit": 1,
            "total": 5,
        },
    ],
)
def test_page_wrapper_variants(data: Any) -> None:
    page = parse_page(data, models.Permission.from_api, page=1, limit=10)
    assert (page.page, page.limit, page.total, page.total_pages) == (2, 1, 5, 5)
    assert page.items[0].key == "users:list"
    assert page.has_next
    assert page.has_previous


def test_bare_array_page_derives_totals() -> None:
    page = parse_page(
        [{"permissionId": 1, "resource": "r", "action": "a"}] * 3,
        models.Permission.from_api,
        page=1,
        limit=10,
    )
    assert (page.total, page.total_pages, page.has_next) == (3, 1, False)


@pytest.mark.parametrize("data", [None, "x", {"total": 3}, {"items": "nope"}])
def test_page_without_a_list_is_bad(data: Any) -> None:
    with pytest.raises(errors.BadUpstreamResponse):
        parse_page(data, models.Permission.from_api, page=1, limit=10)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.decimals(allow_nan=False, places=2),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
near_cardholder = st.fixed_dictionaries({k: json_values | st.just(v) for k, v in CARDHOLDER.items()})


@pytest.mark.parametrize(
    "parser",
    [
        models.Cardholder.from_api,
        models.CardholderSummary.from_api,
        models.ProcessRequest.from_api,
        models.Partner.from_api,
        models.CmsUser.from_api,
        models.Batch.from_api,
        models.ProgressFrame.from_api,
        models.Module.from_api,
        models.Balance.from_api,
    ],
)
@settings(max_examples=25, deadline=None)
@given(value=json_values | near_cardholder)
def test_parsers_are_total(parser: Any, value: Any) -> None:
    """Any JSON value either parses or raises BadUpstreamResponse: never a TypeError or KeyError."""
    with contextlib.suppress(errors.BadUpstreamResponse):
        parser(value)


REQUEST = {"id": 1, "requestedAmount": "1", "status": "pending"}
PARTNER = {"partnerId": 1, "name": "Banco Quetzal"}
FRAME = {"batchId": "b-1", "errors": [{"row": "2"}]}
BAD_FIELDS = [
    (
        models.Cardholder,
        {**CARDHOLDER, "cardholderId": "1"},
        "cardholder.cardholderId is missing or not an integer",
    ),
    (models.Cardholder, {**CARDHOLDER, "cards": "none"}, "cardholder.cards is not a list"),
    (models.Partner, {**PARTNER, "branding": []}, "partner.branding is not an object"),
    (models.Partner, {**PARTNER, "branding": {"logoText": 3}}, "partner.branding.logoText is not a string"),
    (models.Batch, {"batchId": 7, "status": "done"}, "batch.id is missing or not a string"),
    (models.ProcessRequest, {**REQUEST, "evidence": 3}, "processRequest.evidence is not an object"),
    (models.ProcessRequest, {**REQUEST, "decidedBy": {}}, "decidedBy.id is missing or not an integer"),
    (models.ProgressFrame, FRAME, "progress.errors.row is not an integer"),
    (models.Operator, {"id": 1, "email": "e", "name": "n", "partners": None}, "me.partners is not a list"),
]


@pytest.mark.parametrize(("model", "raw", "message"), BAD_FIELDS)
def test_a_bad_field_is_named_where_it_was_found(model: Any, raw: Any, message: str) -> None:
    with pytest.raises(errors.BadUpstreamResponse) as caught:
        model.from_api(raw)
    assert str(caught.value) == f"Unexpected upstream data: {message}"


def test_declared_fields_read_their_camel_case_key_and_a_create_sends_them_in_order() -> None:
    new = models.NewCardholder("A", "B", "C", "GT", "1990-01-01", "single", "f", "+502", "e", "DPI", "1", 7)
    body = new.to_api()
    assert list(body) == list(models.NewCardholder.api_keys())
    assert (body["countryOfBirth"], body["cardId"]) == ("GT", 7)
    assert models.NewCardholder.from_api(body) == new


def test_a_model_field_without_a_reader_is_refused_when_the_class_is_defined() -> None:
    from webapp.cms.models.declared import ApiModel

    with pytest.raises(TypeError, match="declare one with api"):

        class Odd(ApiModel, where="odd"):
            values: set[int]
