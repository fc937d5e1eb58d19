"""Formula-safe exports: no text cell ever starts with a trigger unprefixed, in CSV or XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import python_calamine as calamine
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.files.export import (
    FORMULA_TRIGGERS,
    ExportValue,
    attachment_filename,
    cell_value,
    content_disposition,
    csv_chunks,
    neutralise_text,
    write_xlsx_export,
)


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+502 3000", "'+502 3000"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\x00x", "'\x00x"),
        ("＝1+1", "'＝1+1"),
        ("Ana", "Ana"),
        ("a=b", "a=b"),
        ("", ""),
        ("'=already", "'=already"),
    ],
)
def test_neutralise_text(text: str, safe: str) -> None:
    assert neutralise_text(text) == safe


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (True, "TRUE"),
        (-5, -5),
        (2.5, 2.5),
        (float("nan"), "nan"),
        (Decimal("12.50"), 12.5),
        (Decimal("NaN"), "NaN"),
        (dt.date(2026, 1, 2), "2026-01-02"),
        ("-5", "'-5"),
    ],
)
def test_cell_value(value: ExportValue, cell: object) -> None:
    assert cell_value(value) == cell


def _csv_text(chunks: list[bytes]) -> str:
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    return data[3:].decode("utf-8")


def test_csv_is_utf8_with_bom_crlf_and_rfc4180_quoting() -> None:
    rows: list[list[ExportValue]] = [["Núñez", 'say "hi"', "a,b", "two\nlines", 7, Decimal("12.50"), None]]
    text = _csv_text(list(csv_chunks(["name", "quote", "comma", "lines", "n", "amount", "none"], rows)))
    assert text == (
        "name,quote,comma,lines,n,amount,none\r\n" + 'Núñez,"say ""hi""","a,b","two\nlines",7,12.50,\r\n'
    )


def test_csv_streams_in_chunks() -> None:
    rows: Iterator[list[ExportValue]] = ([f"row {i}", i] for i in range(5000))
    chunks = list(csv_chunks(["text", "n"], rows, chunk_bytes=4096))
    assert len(chunks) > 10
    assert all(len(chunk) < 4096 + 200 for chunk in chunks)
    parsed = list(csv.reader(io.StringIO(_csv_text(chunks))))
    assert parsed[1] == ["row 0", "0"]
    assert len(parsed) == 5001


def test_csv_without_bom_and_with_semicolons() -> None:
    data = b"".join(csv_chunks(["a", "b"], [["x;y", "=1"]], delimiter=";", bom=False))
    assert data == b'a;b\r\n"x;y";\'=1\r\n'


def test_an_empty_export_still_has_its_header() -> None:
    assert b"".join(csv_chunks(["a"], [])) == b"\xef\xbb\xbfa\r\n"


_TEXT = st.text(max_size=12)
_TRIGGER_TEXT = st.tuples(st.sampled_from(FORMULA_TRIGGERS), _TEXT).map("".join)
_VALUES = st.one_of(_TEXT, _TRIGGER_TEXT, st.integers(), st.none())


@settings(max_examples=200)
@given(st.lists(st.lists(_VALUES, min_size=1, max_size=4), max_size=6), st.sampled_from([",", ";"]))
def test_csv_export_never_emits_an_unprefixed_trigger_cell(
    rows: list[list[ExportValue]], delimiter: str
) -> None:
    header = ["=h1", "h2", "h3", "h4"]
    table: list[list[ExportValue]] = [list(header), *rows]
    text = _csv_text(list(csv_chunks(header, rows, delimiter=delimiter)))
    parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    assert len(parsed) == len(rows) + 1
    for original_row, written_row in zip(table, parsed, strict=True):
        for original, written in zip(original_row, written_row, strict=True):
            if isinstance(original, int):
                assert written == str(original)  # numbers stay numbers, even negative ones
            else:
                text_value = original if isinstance(original, str) else ""
                assert not written.startswith(FORMULA_TRIGGERS)
                assert written in (text_value, "'" + text_value)


_XLSX_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
_XLSX_TRIGGER_TEXT = st.tuples(st.sampled_from(FORMULA_TRIGGERS), _XLSX_TEXT).map("".join)


@settings(max_examples=100)
@given(st.lists(st.lists(st.one_of(_XLSX_TEXT, _XLSX_TRIGGER_TEXT), min_size=2, max_size=2), max_size=6))
def test_xlsx_export_never_emits_an_unprefixed_trigger_cell(rows: list[list[ExportValue]]) -> None:
    out = io.BytesIO()
    assert write_xlsx_export(out, ["-a", "b"], rows) == len(rows)
    workbook = calamine.CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue()))
    cells = [cell for row in workbook.get_sheet_by_index(0).iter_rows() for cell in row]
    assert cells[0] == "'-a"
    for cell in cells:
        assert isinstance(cell, str)
        assert not cell.startswith(FORMULA_TRIGGERS)


def test_xlsx_export_keeps_numbers_numeric() -> None:
    out = io.BytesIO()
    write_xlsx_export(out, ["n", "t"], [[-5, "-5"]])
    rows = list(
        calamine.CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0).iter_rows()
    )
    assert rows[1] == [-5.0, "'-5"]


def _read_back(data: bytes) -> tuple[list[str], list[list[object]]]:
    workbook = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return workbook.sheet_names, list(workbook.get_sheet_by_index(0).iter_rows())


def test_xlsx_export_keeps_awkward_text_as_written() -> None:
    out = io.BytesIO()
    rows: list[list[ExportValue]] = [["_x0041_", "a\x01b", "\ud800z"], [" lead", "0012", None]]
    assert write_xlsx_export(out, ["a", "b", "c"], rows, sheet_name="History") == 2
    names, cells = _read_back(out.getvalue())
    assert names == ["History_"]  # Excel reserves "History"
    assert cells[1:] == [["_x0041_", "a\x01b", "?z"], [" lead", "0012", ""]]


def test_xlsx_export_text_cells_carry_the_text_format() -> None:
    """Document numbers keep their leading zeros even after an operator edits the cell in Excel."""
    out = io.BytesIO()
    write_xlsx_export(out, ["document", "n"], [["00123", 4]], sheet_name="a/b[c]")
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        styles = book.read("xl/styles.xml").decode()
        workbook_xml = book.read("xl/workbook.xml").decode()
    assert 'name="a_b_c_"' in workbook_xml
    xfs = re.findall(r"<xf [^>]*>", styles.split("<cellXfs", 1)[1])
    text_style = re.search(r'<c r="A2" s="(\d+)" t="inlineStr">', sheet)
    number = re.search(r'<c r="B2"( s="\d+")?><v>4</v>', sheet)
    assert text_style
    assert number
    assert 'numFmtId="49"' in xfs[int(text_style.group(1))]
    assert number.group(1) is None


def test_xlsx_export_leaves_no_temporary_file_when_the_rows_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def rows() -> Iterator[list[ExportValue]]:
        yield ["Ana", 1]
        raise RuntimeError("the upstream went away")

    with pytest.raises(RuntimeError, match="went away"):
        write_xlsx_export(io.BytesIO(), ["name", "n"], rows())
    write_xlsx_export(io.BytesIO(), ["name", "n"], [["Ana", 1]] * 10)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("stem", "extension", "name"),
    [
        ("Cardholders – Ñandú 11/2026", "csv", "Cardholders_Nandu_11_2026.csv"),
        ("../../etc/passwd", "xlsx", "etc_passwd.xlsx"),
        ('errors "row 5"; x=1', ".CSV", "errors_row_5_x_1.csv"),
        ("...", "csv", "export.csv"),
        ("日本語", "csv", "export.csv"),
        ("a" * 200, "csv", "a" * 80 + ".csv"),
    ],
)
def test_attachment_filename(stem: str, extension: str, name: str) -> None:
    assert attachment_filename(stem, extension) == name


def test_attachment_filename_refuses_odd_extensions() -> None:
    with pytest.raises(ValueError, match="extension"):
        attachment_filename("x", "csv/../../a")


def test_content_disposition_forces_a_download() -> None:
    assert content_disposition("Núñez report", "csv") == 'attachment; filename="Nunez_report.csv"'
