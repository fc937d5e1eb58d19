"""Each cardholder validator against its accept/reject table (ASSUMPTIONS.md §4, "Cardholder create")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from webapp.cardholders import phones, rules, vocabulary
from webapp.cardholders.rules import FieldInvalid, NewCardholder, validate_cardholder

TODAY = date(2026, 6, 15)


def _accepts(validator: Callable[[str], object], raw: str, expected: object) -> None:
    assert validator(raw) == expected


def _rejects(validator: Callable[[str], object], raw: str, message: str) -> None:
    with pytest.raises(FieldInvalid) as caught:
        validator(raw)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ana", "Ana"),
        ("  Ana   María  ", "Ana María"),
        ("Ana\tMaría\nJosé", "Ana María José"),
        ("Núñez", "Núñez"),
        ("O'Brien", "O'Brien"),
        ("a" * 100, "a" * 100),
        ("Ana\u00a0María", "Ana María"),
    ],
)
def test_name_accepts_and_normalises(raw: str, expected: str) -> None:
    _accepts(rules.clean_name, raw, expected)
    _accepts(rules.clean_last_name, raw, expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", rules.REQUIRED),
        ("   \t ", rules.REQUIRED),
        ("a" * 101, rules.TOO_LONG_100),
        ('=HYPERLINK("http://x")', rules.FORMULA),
        ("+1", rules.FORMULA),
        ("-Ana", rules.FORMULA),
        ("@SUM(A1)", rules.FORMULA),
        ("  =cmd", rules.FORMULA),
        ("Ana\x00", rules.CONTROL_CHARACTERS),
        ("Ana\x07Bell", rules.CONTROL_CHARACTERS),
        ("Ana\u202eanA", rules.CONTROL_CHARACTERS),
        ("Ana\ud800", rules.CONTROL_CHARACTERS),
    ],
)
def test_name_rejects(raw: str, message: str) -> None:
    _rejects(rules.clean_name, raw, message)


def test_address_allows_200_characters_and_collapses_lines() -> None:
    _accepts(rules.clean_address, "5a Avenida\r\n10-20,  Zona 1", "5a Avenida 10-20, Zona 1")
    _accepts(rules.clean_address, "x" * 200, "x" * 200)
    _rejects(rules.clean_address, "x" * 201, rules.TOO_LONG_200)
    _rejects(rules.clean_address, "=1+1", rules.FORMULA)


@pytest.mark.parametrize(("raw", "expected"), [("GT", "GT"), ("gt", "GT"), (" sv ", "SV"), ("Mx", "MX")])
def test_country_accepts(raw: str, expected: str) -> None:
    _accepts(rules.clean_country, raw, expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", rules.REQUIRED),
        ("GTM", rules.COUNTRY),
        ("XX", rules.COUNTRY),
        ("G", rules.COUNTRY),
        ("Guatemala", rules.COUNTRY),
    ],
)
def test_country_rejects(raw: str, message: str) -> None:
    _rejects(rules.clean_country, raw, message)


def test_country_list_is_the_assigned_iso_set() -> None:
    assert len(vocabulary.COUNTRIES) == 249
    assert {"GT", "SV", "HN", "NI", "CR", "PA", "MX", "US", "ES"} <= vocabulary.COUNTRIES
    assert not {"XK", "EU", "UK", "ZZ"} & vocabulary.COUNTRIES


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1992-08-30", "1992-08-30"),
        (" 2008-06-15 ", "2008-06-15"),  # 18 today
        ("1906-06-15", "1906-06-15"),  # 120 today
        ("1905-06-16", "1905-06-16"),  # 121 tomorrow
        ("2000-02-29", "2000-02-29"),
    ],
)
def test_date_of_birth_accepts(raw: str, expected: str) -> None:
    assert rules.clean_date_of_birth(raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", rules.REQUIRED),
        ("30/08/1992", rules.DATE_FORMAT),
        ("08/30/1992", rules.DATE_FORMAT),
        ("1992-8-30", rules.DATE_FORMAT),
        ("1992-08-30T00:00:00", rules.DATE_FORMAT),
        ("١٩٩٢-٠٨-٣٠", rules.DATE_FORMAT),  # Arabic-Indic digits
        ("1992-02-30", rules.DATE_NOT_REAL),
        ("2001-02-29", rules.DATE_NOT_REAL),
        ("1992-13-01", rules.DATE_NOT_REAL),
        ("2008-06-16", rules.AGE_RANGE),  # 18 tomorrow
        ("1905-06-15", rules.AGE_RANGE),  # 121 today
        ("2030-01-01", rules.AGE_RANGE),
    ],
)
def test_date_of_birth_rejects(raw: str, message: str) -> None:
    with pytest.raises(FieldInvalid) as caught:
        rules.clean_date_of_birth(raw, today=TODAY)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("casado", "casado"), ("Casado", "casado"), (" SOLTERO ", "soltero"), ("Divorciado", "divorciado")],
)
def test_marital_status(raw: str, expected: str) -> None:
    _accepts(rules.clean_marital_status, raw, expected)


@pytest.mark.parametrize("raw", ["married", "casada", "c", "viuda"])
def test_marital_status_rejects(raw: str) -> None:
    _rejects(rules.clean_marital_status, raw, rules.MARITAL_STATUS)


@pytest.mark.parametrize(
    ("raw", "expected"), [("F", "F"), ("f", "F"), ("m", "M"), ("other", "OTHER"), ("Other", "OTHER")]
)
def test_gender(raw: str, expected: str) -> None:
    _accepts(rules.clean_gender, raw, expected)


@pytest.mark.parametrize("raw", ["female", "X", "O", "FM"])
def test_gender_rejects(raw: str) -> None:
    _rejects(rules.clean_gender, raw, rules.GENDER)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("50230001234", "50230001234"),
        ("+502 3000-1234", "50230001234"),
        ("+502 (3000) 1234", "50230001234"),
        ("502.3000.1234", "50230001234"),
        ("30001234", "50230001234"),  # a number of the default region gets its country code
        ("+1 415 555 2671", "14155552671"),
    ],
)
def test_phone_accepts(raw: str, expected: str) -> None:
    _accepts(rules.clean_phone_number, raw, expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", rules.REQUIRED),
        ("1234567", "Not a valid phone number for GT."),
        ("1234567890123456", "Not a valid phone number for GT."),
        ("++50230001234", phones.CHARACTERS),
        ("502 3000 123a", phones.CHARACTERS),
        ("=50230001234", phones.CHARACTERS),
        ("５０２３０００１２３４", phones.CHARACTERS),  # fullwidth digits
        ("+999 3000 1234", phones.UNKNOWN_COUNTRY_CODE),
    ],
)
def test_phone_rejects(raw: str, message: str) -> None:
    _rejects(rules.clean_phone_number, raw, message)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ana@example.com", "ana@example.com"),
        (" Ana.Lopez@Example.COM ", "Ana.Lopez@example.com"),
        ("a+tag@mail.example.gt", "a+tag@mail.example.gt"),
    ],
)
def test_email_accepts(raw: str, expected: str) -> None:
    _accepts(rules.clean_email, raw, expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", rules.REQUIRED),
        ("ana", rules.EMAIL),
        ("ana@example", rules.EMAIL),
        ("ana@@example.com", rules.EMAIL),
        ("ana maria@example.com", rules.EMAIL),
        ("ana@exa_mple.com", rules.EMAIL),
        ("añá@example.com", rules.EMAIL),
        ("=ana@example.com", rules.FORMULA),
        ("@ana.example.com", rules.FORMULA),
        ("a" * 250 + "@example.com", rules.TOO_LONG_EMAIL),
    ],
)
def test_email_rejects(raw: str, message: str) -> None:
    _rejects(rules.clean_email, raw, message)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("DPI", "DPI"),
        ("dpi", "DPI"),
        ("passport", "PASSPORT"),
        ("legal id", "LEGAL_ID"),
        ("Residence-ID", "RESIDENCE_ID"),
    ],
)
def test_document_type(raw: str, expected: str) -> None:
    _accepts(rules.clean_document_type, raw, expected)


@pytest.mark.parametrize("raw", ["CUI", "ID", "LEGALID", "pasaporte"])
def test_document_type_rejects(raw: str) -> None:
    _rejects(rules.clean_document_type, raw, rules.DOCUMENT_TYPE)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("DPI", "1234567890101", "1234567890101"),
        ("DPI", "1234 56789 0101", "1234567890101"),
        ("DPI", "0034567890101", "0034567890101"),
        ("NIT", "12", "12"),
        ("NIT", "1234567-k", "1234567K"),
        ("NIT", "123456789012K", "123456789012K"),
        ("PASSPORT", "ab12345", "AB12345"),
        ("LEGAL_ID", "A-1234", "A1234"),
        ("PERSONAL_ID", "X" * 20, "X" * 20),
        (None, "AB", "AB"),
    ],
)
def test_document_number_accepts(kind: str | None, raw: str, expected: str) -> None:
    assert rules.clean_document_number(raw, kind) == expected


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        ("DPI", "", rules.REQUIRED),
        ("DPI", "123456789010", rules.DPI_NUMBER),
        ("DPI", "12345678901012", rules.DPI_NUMBER),
        ("DPI", "123456789010A", rules.DPI_NUMBER),
        ("NIT", "1", rules.NIT_NUMBER),
        ("NIT", "1234567890123", rules.NIT_NUMBER),
        ("NIT", "K123", rules.NIT_NUMBER),
        ("PASSPORT", "A123", rules.OTHER_DOCUMENT_NUMBER),
        ("PASSPORT", "X" * 21, rules.OTHER_DOCUMENT_NUMBER),
        ("PASSPORT", "ÁB12345", rules.OTHER_DOCUMENT_NUMBER),
        (None, "A", rules.ANY_DOCUMENT_NUMBER),
        (None, "a.b.c", rules.ANY_DOCUMENT_NUMBER),
    ],
)
def test_document_number_rejects(kind: str | None, raw: str, message: str) -> None:
    with pytest.raises(FieldInvalid) as caught:
        rules.clean_document_number(raw, kind)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("raw", "expected"), [("42", 42), (" 7 ", 7), ("0042", 42), (str(2**53 - 1), 2**53 - 1)]
)
def test_card_id_accepts(raw: str, expected: int) -> None:
    _accepts(rules.clean_card_id, raw, expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", rules.REQUIRED),
        ("0", rules.CARD_ID),
        ("-4", rules.CARD_ID),
        ("4.0", rules.CARD_ID),
        ("1e3", rules.CARD_ID),
        ("²", rules.CARD_ID),
        (str(2**53), rules.CARD_ID),
        ("1" * 17, rules.CARD_ID),
    ],
)
def test_card_id_rejects(raw: str, message: str) -> None:
    _rejects(rules.clean_card_id, raw, message)


def _full_row(**changes: str) -> dict[str, str]:
    base = {
        "name": " Ana ",
        "lastName": "López  García",
        "address": "5a Avenida 10-20, Zona 1",
        "countryOfBirth": "gt",
        "dateOfBirth": "1992-08-30",
        "maritalStatus": "Casado",
        "gender": "f",
        "phoneNumber": "+502 3000-1234",
        "email": "Ana.Lopez@Example.com",
        "documentType": "dpi",
        "documentNumber": "1234 56789 0101",
        "cardId": "42",
    }
    return {**base, **changes}


def test_validate_cardholder_normalises_a_whole_row() -> None:
    cardholder, problems = validate_cardholder(_full_row(), today=TODAY)
    assert problems == {}
    assert cardholder == NewCardholder(
        "Ana",
        "López García",
        "5a Avenida 10-20, Zona 1",
        "GT",
        "1992-08-30",
        "casado",
        "F",
        "50230001234",
        "Ana.Lopez@example.com",
        "DPI",
        "1234567890101",
        42,
    )
    assert cardholder.as_payload()["cardId"] == 42
    assert list(cardholder.as_payload()) == list(vocabulary.FIELDS)


def test_validate_cardholder_reports_every_problem_at_once() -> None:
    cardholder, problems = validate_cardholder(
        _full_row(name="", dateOfBirth="30/08/1992", gender="x", documentNumber="123", cardId="abc"),
        today=TODAY,
    )
    assert cardholder is None
    assert problems == {
        "name": rules.REQUIRED,
        "dateOfBirth": rules.DATE_FORMAT,
        "gender": rules.GENDER,
        "documentNumber": rules.DPI_NUMBER,
        "cardId": rules.CARD_ID,
    }


def test_missing_keys_and_non_text_values_count_as_empty() -> None:
    raw: dict[str, object] = {**_full_row(), "cardId": 42, "email": None}
    del raw["address"]
    cardholder, problems = validate_cardholder(raw, today=TODAY)  # type: ignore[arg-type]
    assert cardholder is None
    assert problems == {"address": rules.REQUIRED, "email": rules.REQUIRED, "cardId": rules.REQUIRED}


def test_document_number_waits_for_a_valid_type() -> None:
    _, problems = validate_cardholder(_full_row(documentType="CUI"), today=TODAY)
    assert problems == {"documentType": rules.DOCUMENT_TYPE}


def test_messages_never_echo_the_value() -> None:
    secret = "9876543210123"
    raw = _full_row(documentNumber=secret + "9", email=secret, phoneNumber=secret * 2, name="=" + secret)
    _, problems = validate_cardholder(raw, today=TODAY)
    assert set(problems) == {"documentNumber", "email", "phoneNumber", "name"}
    assert not any(secret in message for message in problems.values())


def test_field_problems_keeps_the_documented_order() -> None:
    problems = rules.field_problems({"cardId": "x"}, today=TODAY)
    assert list(problems) == list(vocabulary.FIELDS)
