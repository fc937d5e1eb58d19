"""CSV reading: delimiters, encodings, spreadsheet row numbers, streaming, and a round trip per encoding."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.files import builders
from webapp.cardholders.vocabulary import FIELDS
from webapp.files.errors import FileRejected, Reason
from webapp.files.text_reader import detect_delimiter, iter_csv_rows


def _rows(data: bytes, **options: str) -> list[tuple[int, list[str]]]:
    return list(iter_csv_rows(io.BytesIO(data), file_name="people.csv", **options))


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [
        ("name,lastName,email\r\n", ","),
        ("name;lastName;email\r\n", ";"),
        ('"last, name";email;phone\n', ";"),
        ('"a;b;c",d\n', ","),
        ("name\n", ","),
    ],
)
def test_delimiter_from_the_header_line(line: str, delimiter: str) -> None:
    assert detect_delimiter(line) == delimiter


@pytest.mark.parametrize(
    "data",
    [
        "name,lastName\r\nAna,Núñez\r\n".encode(),
        b"\xef\xbb\xbf" + "name,lastName\r\nAna,Núñez\r\n".encode(),
        "name,lastName\r\nAna,Núñez\r\n".encode("utf-16"),
        "name,lastName\r\nAna,Núñez\r\n".encode("cp1252"),
        "name;lastName\nAna;Núñez\n".encode("cp1252"),
        "name;lastName\rAna;Núñez\r".encode(),
    ],
    ids=["utf8", "utf8-bom", "utf16", "cp1252", "cp1252-semicolon", "old-mac-line-ends"],
)
def test_nunez_comes_out_right_from_every_encoding(data: bytes) -> None:
    assert _rows(data) == [(1, ["name", "lastName"]), (2, ["Ana", "Núñez"])]


def test_utf16_big_endian_with_bom() -> None:
    data = b"\xfe\xff" + "name;lastName\nJosé;Peña\n".encode("utf-16-be")
    assert _rows(data) == [(1, ["name", "lastName"]), (2, ["José", "Peña"])]


def test_row_numbers_count_records_like_a_spreadsheet() -> None:
    data = b'name,address\n\nAna,"line one\nline two"\nLuis,"x, y"\n'
    assert _rows(data) == [
        (1, ["name", "address"]),
        (2, []),
        (3, ["Ana", "line one\nline two"]),
        (4, ["Luis", "x, y"]),
    ]


def test_rows_are_streamed_not_listed() -> None:
    # Told the file is UTF-8, the reader only meets the bad last line after yielding the good ones.
    data = b"name\n" + b"Ana\n" * 10_000 + b"\xff\xfe\n"
    rows = iter_csv_rows(io.BytesIO(data), encoding="utf-8")
    assert iter(rows) is rows
    assert next(rows) == (1, ["name"])
    assert next(rows) == (2, ["Ana"])
    with pytest.raises(FileRejected) as caught:
        list(rows)
    assert caught.value.reason is Reason.UNREADABLE
    assert caught.value.row is not None
    assert caught.value.row > 2


def test_the_callers_stream_stays_open() -> None:
    stream = io.BytesIO(b"name\nAna\n")
    list(iter_csv_rows(stream))
    assert not stream.closed
    partly = iter_csv_rows(stream)
    next(partly)
    partly.close()
    assert not stream.closed


def test_too_many_columns_names_the_row() -> None:
    data = b"name\nAna\n" + b"," * 600 + b"\n"
    with pytest.raises(FileRejected) as caught:
        _rows(data)
    assert (caught.value.reason, caught.value.row) == (Reason.TOO_MANY_COLUMNS, 3)


def test_an_oversized_cell_is_refused_not_loaded() -> None:
    data = b'name\n"' + b"x" * 200_000 + b'"\n'
    with pytest.raises(FileRejected) as caught:
        _rows(data)
    assert caught.value.reason is Reason.UNREADABLE
    assert caught.value.row == 2


_ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00\ufeff"), max_size=20)
# Characters whose cp1252 bytes can never be read as UTF-8 by mistake: ASCII and the Latin-1 letters
# (0xC0–0xFF are never UTF-8 continuation bytes, so text holding any of them is not valid UTF-8).
_CP1252_TEXT = st.text(
    st.one_of(
        st.characters(min_codepoint=0x01, max_codepoint=0x7F),
        st.characters(min_codepoint=0xC0, max_codepoint=0xFF),
    ),
    max_size=20,
)


def _round_trip(rows: list[list[str]], encoding: str, delimiter: str) -> None:
    table = [list(FIELDS[:3]), *rows]
    if encoding == "utf-16-le+bom":
        data = b"\xff\xfe" + builders.csv_bytes(table, encoding="utf-16-le", delimiter=delimiter)
    else:
        data = builders.csv_bytes(table, encoding=encoding, delimiter=delimiter)
    read = [cells for _, cells in iter_csv_rows(io.BytesIO(data), file_name="x.csv")]
    assert read == table


@settings(max_examples=150)
@given(
    st.lists(st.lists(_ANY_TEXT, min_size=1, max_size=4), max_size=6),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le+bom"]),
    st.sampled_from([",", ";"]),
)
def test_round_trip_of_arbitrary_text_in_unicode_encodings(
    rows: list[list[str]], encoding: str, delimiter: str
) -> None:
    _round_trip(rows, encoding, delimiter)


@settings(max_examples=150)
@given(st.lists(st.lists(_CP1252_TEXT, min_size=1, max_size=4), max_size=6), st.sampled_from([",", ";"]))
def test_round_trip_of_latin_text_in_cp1252(rows: list[list[str]], delimiter: str) -> None:
    _round_trip(rows, "cp1252", delimiter)
