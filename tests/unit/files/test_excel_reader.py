"""Excel cells as the text an operator sees, from real .xlsx (xlsxwriter) and .xls (xlwt) files."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from tests.unit.files import builders
from webapp.files.errors import FileRejected, Reason
from webapp.files.excel_reader import Cell, cell_text, iter_sheet_rows, sheet_names


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Núñez", "Núñez"),
        (42, "42"),
        (42.0, "42"),
        (1234567890101.0, "1234567890101"),
        (-7.0, "-7"),
        (12.5, "12.5"),
        (1.2345678901234567e19, "1.2345678901234567e+19"),
        (True, "TRUE"),
        (dt.date(1990, 5, 6), "1990-05-06"),
        (dt.datetime(1990, 5, 6), "1990-05-06"),
        (dt.datetime(1990, 5, 6, 13, 30), "1990-05-06 13:30:00"),
        (dt.time(8, 15), "08:15:00"),
    ],
)
def test_cell_text(value: Cell, text: str) -> None:
    assert cell_text(value) == text


def _xlsx_rows(data: bytes, sheet: str | int | None = None) -> list[tuple[int, list[str]]]:
    return list(iter_sheet_rows(io.BytesIO(data), file_name="book.xlsx", sheet=sheet))


def test_xlsx_values_come_out_as_typed_text() -> None:
    data = builders.xlsx_bytes(
        [
            ["name", "dateOfBirth", "documentNumber", "cardId", "phoneNumber"],
            ["Núñez", dt.date(1990, 5, 6), 1234567890101, 42, "50230001234"],
            ["Ana", "1992-08-30", "0012345", 43.0, 50230001235],
        ]
    )
    assert _xlsx_rows(data) == [
        (1, ["name", "dateOfBirth", "documentNumber", "cardId", "phoneNumber"]),
        (2, ["Núñez", "1990-05-06", "1234567890101", "42", "50230001234"]),
        (3, ["Ana", "1992-08-30", "0012345", "43", "50230001235"]),
    ]


def test_row_numbers_match_excel_even_below_blank_rows() -> None:
    data = builders.xlsx_bytes([[None], [None], ["name"], ["Ana"], [None], ["Luis"]])
    rows = _xlsx_rows(data)
    numbered = [(number, cells) for number, cells in rows if any(cells)]
    assert numbered == [(3, ["name"]), (4, ["Ana"]), (6, ["Luis"])]


def test_sheets_by_name_and_index() -> None:
    data = builders.xlsx_bytes([["name"], ["Ana"]], sheet="Datos", more_sheets=["Notas"])
    assert sheet_names(io.BytesIO(data)) == ["Datos", "Notas"]
    assert _xlsx_rows(data, sheet="Notas") == [(1, ["Notas"])]
    assert _xlsx_rows(data, sheet=1) == [(1, ["Notas"])]
    assert _xlsx_rows(data)[0] == (1, ["name"])


@pytest.mark.parametrize("sheet", ["Missing", 5, -1])
def test_an_unknown_sheet_is_refused(sheet: str | int) -> None:
    data = builders.xlsx_bytes([["name"]])
    with pytest.raises(FileRejected) as caught:
        _xlsx_rows(data, sheet=sheet)
    assert caught.value.reason is Reason.SHEET_NOT_FOUND


def test_a_real_xls_is_read() -> None:
    data = builders.xls_bytes(
        [
            ["name", "dateOfBirth", "documentNumber", "cardId"],
            ["Núñez", dt.date(1990, 5, 6), 1234567890101, 42],
        ]
    )
    rows = list(iter_sheet_rows(io.BytesIO(data), file_name="book.xls"))
    assert rows == [
        (1, ["name", "dateOfBirth", "documentNumber", "cardId"]),
        (2, ["Núñez", "1990-05-06", "1234567890101", "42"]),
    ]
    assert sheet_names(io.BytesIO(data)) == ["Hoja1"]


def test_garbage_behind_an_ole2_header_is_unreadable() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000
    with pytest.raises(FileRejected) as caught:
        list(iter_sheet_rows(io.BytesIO(data), file_name="fake.xls"))
    assert caught.value.reason is Reason.UNREADABLE
    assert "fake.xls" in str(caught.value)
