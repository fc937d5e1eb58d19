"""Ids, pages and amounts typed into requests: ASCII digits only, bounded, and never an exception."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.parsing import ID_MAX, is_ascii_digits, parse_id, parse_int, parse_page
from webapp.process_requests.amounts import AmountError, parse_amount

# '²' and '¹' are isdigit() but int() refuses them; full-width, Arabic-Indic and Devanagari digits are read
# by int() and Decimal() as if ASCII. None of them is a digit to the console.
NOT_ASCII_DIGITS = ["²", "¹²", "１００", "１", "٣", "१२", "7²", "1\u200b2", "𝟏"]


@pytest.mark.parametrize("raw", NOT_ASCII_DIGITS)
def test_digits_that_are_not_ascii_are_not_numbers(raw: str) -> None:
    assert raw.isdigit() or not raw.isascii()  # what used to let them through
    assert not is_ascii_digits(raw)
    assert parse_id(raw) is None
    assert parse_page(raw) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        ("007", 7),
        (str(ID_MAX), ID_MAX),
        (str(ID_MAX + 1), None),
        (str(2**63), None),
        ("9" * 5000, None),  # int() refuses past 4,300 digits: never reached
        ("0" * 5000 + "5", 5),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("1_000", None),
        ("1e3", None),
        ("", None),
        (None, None),
        ("1\x00", None),
    ],
)
def test_ids(raw: str | None, expected: int | None) -> None:
    assert parse_id(raw) == expected


def test_pages_fall_back_to_the_default() -> None:
    assert parse_page("3") == 3
    assert parse_page("100000") == 100_000
    assert parse_page("100001") == 1
    assert parse_page("0", default=2) == 2
    assert parse_page("7", maximum=5) == 1


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_is_a_bounded_number_or_none(raw: str) -> None:
    value = parse_int(raw, minimum=0, maximum=ID_MAX)
    if value is not None:
        assert 0 <= value <= ID_MAX
        assert raw.strip().isascii()
        assert int(raw.strip()) == value


@pytest.mark.parametrize("raw", ["１００", "１,０００.５０", "١٠٠", "१००", "100²", "²"])
def test_amounts_refuse_digits_that_are_not_ascii(raw: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(raw, "en")


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from(["en", "es"]))
def test_an_amount_is_ascii_or_refused(raw: str, lang: str) -> None:
    try:
        amount = parse_amount(raw, lang)
    except AmountError:
        return
    assert isinstance(amount, Decimal)
    assert all(ch.isascii() for ch in raw.strip() if ch.isdigit())


def test_an_upload_column_is_an_ascii_index_and_counted_once(bare_app: Flask) -> None:
    from webapp.uploads.forms import mapping_from as _mapping_from

    header = ["Email", "Name"]
    with bare_app.test_request_context():
        mapping, errors = _mapping_from({"a": "²", "b": "１"}, header, ["a", "b"])
        assert (mapping, sorted(errors)) == ({}, ["a", "b"])
        mapping, errors = _mapping_from({"a": "01", "b": "1"}, header, ["a", "b"])  # the same column twice
        assert (mapping, sorted(errors)) == ({"Name": "a"}, ["b"])
        mapping, errors = _mapping_from({"a": "0", "b": "9" * 5000}, header, ["a", "b"])
        assert (mapping, sorted(errors)) == ({"Email": "a"}, ["b"])
