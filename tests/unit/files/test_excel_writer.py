"""The upload workbook: read back with calamine (what the sandbox uses) and checked by our own sniffer."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import python_calamine as calamine
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.files.builders import numbered_row
from webapp.cardholders.rules import validate_cardholder
from webapp.cardholders.vocabulary import FIELDS
from webapp.files.excel_writer import (
    column_letter,
    escape_text,
    safe_sheet_name,
    write_upload_xlsx,
    write_xlsx,
)
from webapp.files.sniff import FileKind, sniff
from webapp.sandbox.cardholder_rules import CREATE_FIELDS, create_problems
from webapp.sandbox.routes.uploads import read_sheet, spreadsheet_kind
from webapp.uploads.workbooks import write_cardholders_xlsx

MB = 1024 * 1024


def _read_back(data: bytes) -> tuple[list[str], list[list[object]]]:
    workbook = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    names = workbook.sheet_names
    rows: list[list[object]] = [list(row) for row in workbook.get_sheet_by_index(0).iter_rows()]
    return names, rows


def _payload(index: int, **changes: str) -> tuple[str | int, ...]:
    cardholder, problems = validate_cardholder(numbered_row(index, **changes))
    assert cardholder is not None, problems
    return tuple(cardholder)


def test_header_in_documented_order_then_rows_with_a_numeric_card_id() -> None:
    out = io.BytesIO()
    rows = [_payload(1, documentNumber="0012345678901", lastName="Núñez & Peña <Jr>"), _payload(2)]
    assert write_cardholders_xlsx(rows, out) == 2
    names, read = _read_back(out.getvalue())
    assert names == ["cardholders"]
    assert read[0] == list(FIELDS)
    assert read[1][FIELDS.index("documentNumber")] == "0012345678901"  # text: leading zeros survive
    assert read[1][FIELDS.index("lastName")] == "Núñez & Peña <Jr>"
    assert read[1][-1] == 1001
    assert isinstance(read[1][-1], float)  # a number cell (calamine reads numbers as floats)
    assert read[1][:-1] == list(rows[0][:-1])


def test_the_upload_writer_takes_any_columns_the_last_one_a_number() -> None:
    out = io.BytesIO()
    header = ("documentType", "documentNumber", "cardId")
    rows = [("DPI", "0012", 7), ("DPI", "a&b", 8)]
    assert write_upload_xlsx(rows, out, header=header, sheet_name="cards") == 2
    names, read = _read_back(out.getvalue())
    assert names == ["cards"]
    assert read == [list(header), ["DPI", "0012", 7.0], ["DPI", "a&b", 8.0]]
    with pytest.raises(ValueError, match="cardId must be an int"):
        write_upload_xlsx([("DPI", "0012", "7")], io.BytesIO(), header=header, sheet_name="cards")


def test_the_output_passes_our_own_upload_checks() -> None:
    out = io.BytesIO()
    write_cardholders_xlsx([_payload(i) for i in range(50)], out)
    out.seek(0)
    assert sniff(out, max_bytes=16 * MB, allow_text=False).kind is FileKind.XLSX
    parts = set(zipfile.ZipFile(io.BytesIO(out.getvalue())).namelist())
    assert {"[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/styles.xml"} <= parts


def test_writes_to_a_path(tmp_path: Path) -> None:
    target = tmp_path / "upload.xlsx"
    assert write_cardholders_xlsx([_payload(1)], target) == 1
    assert _read_back(target.read_bytes())[1][1][0] == "Ana"


def test_no_rows_gives_a_header_only_workbook() -> None:
    out = io.BytesIO()
    assert write_cardholders_xlsx([], out) == 0
    assert _read_back(out.getvalue())[1] == [list(FIELDS)]


def test_rows_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(ValueError, match="expected 12"):
        write_cardholders_xlsx([("Ana",)], io.BytesIO())
    with pytest.raises(ValueError, match="cardId"):
        write_cardholders_xlsx([(*_payload(1)[:-1], "42")], io.BytesIO())


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain", "plain"),
        ("a&b<c>", "a&amp;b&lt;c&gt;"),
        ("bell\x07", "bell_x0007_"),
        ("cr\r", "cr_x000D_"),
        ("_x0041_", "_x005F_x0041_"),
        ("tab\tand\nline", "tab\tand\nline"),
    ],
)
def test_escape_text(text: str, escaped: str) -> None:
    assert escape_text(text) == escaped


_CELL_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=15)


@settings(max_examples=100)
@given(st.lists(st.lists(_CELL_TEXT, min_size=3, max_size=3), max_size=5))
def test_any_text_survives_the_round_trip(rows: list[list[str]]) -> None:
    out = io.BytesIO()
    write_xlsx(out, ["a", "b", "c"], rows)
    assert _read_back(out.getvalue())[1] == [["a", "b", "c"], *rows]


def test_generic_rows_type_each_cell() -> None:
    out = io.BytesIO()
    write_xlsx(
        out, ["text", "int", "float", "empty"], [["x", 7, 2.5, None]], sheet_name="Data: 2026/11 [all]"
    )
    names, read = _read_back(out.getvalue())
    assert names == ["Data_ 2026_11 _all_"]
    assert read[1] == ["x", 7.0, 2.5, ""]  # the used range is four columns wide


def test_non_finite_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        write_xlsx(io.BytesIO(), ["n"], [[float("nan")]])


@pytest.mark.parametrize(
    ("index", "letters"), [(0, "A"), (11, "L"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letter(index: int, letters: str) -> None:
    assert column_letter(index) == letters


def test_safe_sheet_name() -> None:
    assert safe_sheet_name("x" * 40) == "x" * 31
    assert safe_sheet_name("  ") == "Sheet1"


def test_the_sandbox_reads_the_converted_file_and_accepts_every_row() -> None:
    """The console's converted workbook, through the sandbox's own upload parser and create rules."""
    out = io.BytesIO()
    rows = [_payload(1, documentNumber="0012345678901", name="Ana María"), _payload(2, lastName="Núñez")]
    write_cardholders_xlsx(rows, out)
    data = out.getvalue()
    assert spreadsheet_kind(data) == "xlsx"
    read = read_sheet(data, CREATE_FIELDS, "users")
    assert [item["row"] for item in read] == [2, 3]
    assert read[0]["values"]["documentNumber"] == "0012345678901"
    assert all(create_problems(item["values"]) == {} for item in read)
