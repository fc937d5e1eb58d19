"""The probe's pure parts: redaction, field listing, and contract differences told without values."""

from __future__ import annotations

from webapp.cms.contract import load_contract
from webapp.cms.probe.contract_check import Contract
from webapp.cms.probe.redact import Redactor
from webapp.cms.probe.shapes import envelope_problems, field_types

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyOjEifQ.c2lnbmF0dXJl"


def test_redactor_hides_learned_personal_values_and_what_looks_secret() -> None:
    redact = Redactor()
    redact.learn(
        {"data": {"items": [{"email": "ana@example.com", "name": "Ana Lucía", "lastName": "Morales"}]}}
    )
    redact.learn({"data": [{"name": "Cardholders", "key": "cardholders"}]})  # a module: not personal
    redact.add("Secret-Pass-1")

    text = redact(
        f"User Ana Lucía Morales (ana@example.com) sent Secret-Pass-1, code 123456, "
        f"card 4111 1111 1111 1111, Bearer {JWT}; see Cardholders; HTTP 404 8017; run 2026-05-01"
    )

    for secret in ("Ana", "Lucía", "Morales", "ana@example.com", "Secret-Pass-1", "123456", "4111", JWT):
        assert secret not in text
    assert "Cardholders" in text
    assert "HTTP 404 8017" in text
    assert "2026-05-01" in text
    assert "Analysis" in redact("Analysis")  # whole words only


def test_field_types_lists_names_and_types_never_values() -> None:
    body = {"success": True, "data": {"items": [{"id": 1, "email": "x@y.z"}, {"id": "2"}], "total": 2}}

    types = field_types(body)

    assert types["data.items[].id"] == "integer|string"
    assert types["data.items[].email"] == "string"
    assert "x@y.z" not in repr(types)


def test_envelope_problems_name_the_departures() -> None:
    assert envelope_problems({"success": True, "data": {}}) == []
    assert envelope_problems({"statusCode": 200, "data": {}}) == [
        "success missing",
        "extra top-level fields statusCode",
    ]
    assert envelope_problems({"success": False, "errors": [{"code": 7010, "message": "x"}]}) == [
        "errors[].code is integer, not a string"
    ]


def test_contract_differences_are_told_without_values() -> None:
    contract = Contract(load_contract())
    body = {"success": True, "data": {"id": "ana@example.com", "accessToken": "t", "email": "e", "name": "n"}}

    problems = contract.check("userLogin", 200, body)

    assert problems is not None
    assert "missing data.refreshToken" in problems
    assert "data.id is string, contract says integer" in problems
    assert "ana@example.com" not in repr(problems)
    assert contract.check("userLogin", 299, body) is None
    assert contract.op("listPartners").capability == "partners"
    assert contract.op("listModules").capability is None
