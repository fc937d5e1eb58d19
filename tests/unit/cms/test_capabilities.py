"""Capabilities: every assumed operation of the contract has one, and a missing one is learned, not a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.cms.fakes import FakeCms, envelope, failure, holder, make_client
from webapp.cms import capabilities, errors
from webapp.cms.contract import load_contract

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
FREE_CARDS = "GET /app/partners/1/cards"


def _operations() -> list[tuple[str, str, dict[str, object]]]:
    paths = load_contract()["paths"]
    return [
        (method.upper(), path, op)
        for path, item in paths.items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


def test_every_assumed_operation_has_a_capability_and_no_documented_one_does() -> None:
    for method, path, op in _operations():
        name = capabilities.capability_for(method, path)
        if op.get("x-source") == "assumed":
            assert name in capabilities.ALL, f"{method} {path} is assumed but names no capability"
            declared = op.get("x-capability")
            assert declared in (None, name), f"{method} {path}: contract says {declared}, client says {name}"
        else:
            assert name is None, f"{method} {path} is documented and must never be switched off"


def test_the_table_names_only_operations_of_the_contract() -> None:
    known = {(method, path) for method, path, _op in _operations()}
    assert set(capabilities.routes()) <= known


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(failure(404, "7010", "Not found, verify endpoint"), id="404-7010"),
        pytest.param(
            httpx.Response(404, json={"statusCode": 404, "message": "Cannot GET"}), id="404-no-code"
        ),
        pytest.param(failure(405, "7010"), id="405"),
        pytest.param(failure(501, "7003"), id="501"),
    ],
)
def test_an_unknown_route_answer_is_learned_and_not_asked_again(answer: httpx.Response) -> None:
    fake = FakeCms(routes={FREE_CARDS: answer})
    client = make_client(fake)
    with pytest.raises(errors.CapabilityMissing) as info:
        client.cards.free(holder(), 1)
    assert info.value.capability == "partner-cards"
    assert not client.capabilities.offered("partner-cards")
    with pytest.raises(errors.CapabilityMissing):
        client.cards.free(holder(), 1)
    assert fake.count(FREE_CARDS) == 1


def test_a_record_not_found_is_not_a_missing_capability() -> None:
    fake = FakeCms(routes={"GET /app/partners/1/cardholders/5/cards": failure(404, "8012")})
    client = make_client(fake)
    with pytest.raises(errors.NotFound):
        client.cards.of_cardholder(holder(), 1, 5)
    assert client.capabilities.offered("cardholder-cards")


def test_configured_off_is_never_called() -> None:
    fake = FakeCms(routes={FREE_CARDS: envelope({"items": [], "page": 1, "limit": 25, "total": 0})})
    client = make_client(fake, capabilities_off=capabilities.parse_off("partner-cards"))
    with pytest.raises(errors.CapabilityMissing) as info:
        client.cards.free(holder(), 1)
    assert info.value.configured_off
    assert fake.count(FREE_CARDS) == 0


def test_documented_operations_are_never_refused_by_capability() -> None:
    client = make_client(FakeCms(), capabilities_off=capabilities.parse_off("assumed"))
    assert client.capabilities.missing() == capabilities.ALL
    assert capabilities.capability_for("GET", "/app/partners/{partnerId}/cardholders") is None


def test_parse_off_refuses_unknown_names() -> None:
    with pytest.raises(ValueError, match="teleport"):
        capabilities.parse_off("teleport")
    assert capabilities.parse_off(" partners , card-actions ,") == {"partners", "card-actions"}
