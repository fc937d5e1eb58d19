"""The Excel file the upload API wants, written as a stream: one sheet, the documented header, then the rows.

Why not xlsxwriter, which writes the exports (webapp/files/export.py)? Its `constant_memory` mode streams
too, but it spends ~10 µs per cell in Python. Measured by bench/bench_xlsx_writers.py on the 2-core reference
machine (shared, so absolute times vary; the ratio held), 100,000 rows × 12 columns:

    hand-written  0.67 s   peak 8.4 MB   file 9.2 MB
    xlsxwriter   15.78 s   peak 0.5 MB   file 7.5 MB    (23.5x slower; 8x in a run under heavier load)

against a 6 s budget for the whole conversion. This writer emits the same minimal SpreadsheetML package
(inline strings, as xlsxwriter's constant-memory mode does) with one f-string per row, and streams the sheet
into the zip as it goes, 2,000 rows at a time, so memory stays flat whatever the row count.

Text cells carry the "@" (text) number format, so document numbers keep their leading zeros even after an
operator edits them in Excel; the last column (the upload's `cardId`) is written as a number, as the API
expects. The caller names the columns: nothing here knows what a cardholder is.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Final, cast

# Level 6 halves the speed for a file barely smaller. 100,000 rows make about 5.5 MB; the caller still
# checks the result against the upload limit (16 MB), since no row count is capped.
COMPRESS_LEVEL: Final = 1
_FLUSH_ROWS: Final = 2000

_MAIN_NS: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES: Final = (
    _XML_DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS: Final = (
    _XML_DECL + f'<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS: Final = (
    _XML_DECL + f'<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Style 0: general; style 1: text ("@", number format 49); style 2: bold text, for the header row.
_STYLES: Final = (
    _XML_DECL + f'<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START: Final = _XML_DECL + f'<worksheet xmlns="{_MAIN_NS}"><sheetData>'
_SHEET_END: Final = "</sheetData></worksheet>"

# What XML cannot hold as is: markup characters, C0 controls other than tab and LF (a CR would be read back
# as LF), non-characters, and
# text that Excel would itself read as an `_xHHHH_` escape.
# (The character class alone is searched first: with the alternation the regex engine is three times slower.)
_NEEDS_ESCAPE: Final = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]")
_EXCEL_ESCAPE_LIKE: Final = re.compile("_x[0-9A-Fa-f]{4}_")
_CONTROL_OR_ESCAPE_LIKE: Final = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_SHEET_NAME_FORBIDDEN: Final = re.compile(r"[\[\]:*?/\\]")

Target = str | os.PathLike[str] | IO[bytes]
Value = str | int | float | None


def column_letter(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def escape_text(value: str) -> str:
    """XML-escape a cell text; characters XML cannot carry become Excel's own `_xHHHH_` escapes."""
    if not _NEEDS_ESCAPE.search(value) and not ("_x" in value and _EXCEL_ESCAPE_LIKE.search(value)):
        return value
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _CONTROL_OR_ESCAPE_LIKE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)


def _number_text(value: int | float) -> str:
    if isinstance(value, bool) or value != value or value in (float("inf"), float("-inf")):
        raise ValueError("a number cell must be a finite int or float")
    return repr(value) if isinstance(value, float) else str(value)


def _text_cell(ref: str, placeholder: str, style: int) -> str:
    return f'<c r="{ref}" t="inlineStr" s="{style}"><is><t xml:space="preserve">{placeholder}</t></is></c>'


def _auto_cell(index: int, row_number: int, value: Value) -> str:
    if value is None or value == "":
        return ""
    ref = f"{column_letter(index)}{row_number}"
    if isinstance(value, str):
        return _text_cell(ref, escape_text(value), 1)
    return f'<c r="{ref}"><v>{_number_text(value)}</v></c>'


def clean_sheet_name(name: str) -> str:
    """Excel's rules: 1–31 characters, none of []:*?/\\, no apostrophe at either end, not "History"."""
    cleaned = _SHEET_NAME_FORBIDDEN.sub("_", " ".join(name.split()))[:31].strip("'")
    if cleaned.casefold() == "history":
        return cleaned[:30] + "_"
    return cleaned or "Sheet1"


def safe_sheet_name(name: str) -> str:
    """The cleaned sheet name, escaped for the workbook XML."""
    return escape_text(clean_sheet_name(name))


def write_xlsx(
    target: Target, header: Sequence[str], rows: Iterable[Sequence[Value]], *, sheet_name: str = "Sheet1"
) -> int:
    """Write one sheet: the header (bold text) on row 1, then `rows`; answer the number of data rows.

    Each cell is typed by its value: str → text, int/float → number, None or "" → no cell.
    """
    rendered = (_auto_row(number, row) for number, row in enumerate(rows, start=2))
    return _write_package(target, header, rendered, sheet_name)


def write_upload_xlsx(
    rows: Iterable[Sequence[str | int]], target: Target, *, header: Sequence[str], sheet_name: str
) -> int:
    """The bulk-upload file (#14): `header` on row 1, then rows of texts whose last value is a whole number
    (written as a number); answer the number of data rows."""
    render = _upload_row_renderer(header)
    rendered = (render(number, row) for number, row in enumerate(rows, start=2))
    return _write_package(target, header, rendered, sheet_name)


def _write_package(
    target: Target, header: Sequence[str], rendered_rows: Iterable[str], sheet_name: str
) -> int:
    with zipfile.ZipFile(
        target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    ) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr(
            "xl/workbook.xml",
            _XML_DECL + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
            f'<sheet name="{safe_sheet_name(sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            header_cells = "".join(
                _text_cell(f"{column_letter(i)}1", escape_text(text), 2) for i, text in enumerate(header)
            )
            sheet.write((_SHEET_START + f'<row r="1">{header_cells}</row>').encode())
            count = 0
            pending: list[str] = []
            for count, row_xml in enumerate(rendered_rows, start=1):  # noqa: B007 - count is the result
                pending.append(row_xml)
                if len(pending) >= _FLUSH_ROWS:
                    _flush(sheet, pending)
            _flush(sheet, pending)
            sheet.write(_SHEET_END.encode())
    return count


def _auto_row(row_number: int, row: Sequence[Value]) -> str:
    cells = "".join(_auto_cell(i, row_number, value) for i, value in enumerate(row))
    return f'<row r="{row_number}">{cells}</row>'


# The pieces of a text cell around its reference and its value, for the upload row below.
_TEXT_OPEN: Final = '" t="inlineStr" s="1"><is><t xml:space="preserve">'
_TEXT_CLOSE: Final = "</t></is></c>"


def _upload_row_renderer(header: Sequence[str]) -> Callable[[int, Sequence[str | int]], str]:
    """One row of the upload file, in the columns of `header`. It runs 100,000 times per file: the column
    references are computed once here, and each cell is one f-string (four times faster than a
    `str.format` template)."""
    width, number_column = len(header), header[-1]
    openers = tuple(f'<c r="{column_letter(index)}' for index in range(width - 1))
    last = f'<c r="{column_letter(width - 1)}'
    o, x = _TEXT_OPEN, _TEXT_CLOSE

    def render(row_number: int, row: Sequence[str | int]) -> str:
        if len(row) != width:
            raise ValueError(f"row {row_number} has {len(row)} values, expected {width}")
        texts = cast(Sequence[str], row[:-1])
        number = row[-1]
        if type(number) is not int:
            raise ValueError(f"row {row_number}: {number_column} must be an int")
        joined = "\t".join(texts)
        if _NEEDS_ESCAPE.search(joined) or "_x" in joined:
            texts = [escape_text(text) for text in texts]
        r = str(row_number)
        cells = "".join([f"{opener}{r}{o}{text}{x}" for opener, text in zip(openers, texts, strict=True)])
        return f'<row r="{r}">{cells}{last}{r}"><v>{number}</v></c></row>'

    return render


def _flush(sheet: IO[bytes], pending: list[str]) -> None:
    if pending:
        # Lone surrogates cannot be encoded; they become "?" rather than failing the whole file.
        sheet.write("".join(pending).encode("utf-8", errors="replace"))
        pending.clear()
