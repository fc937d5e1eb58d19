"""Exports and error reports that are safe to open in a spreadsheet program.

A cell that starts with `=`, `+`, `-` or `@` (or a tab, CR or NUL, which some programs strip first) is run
as a formula when the file is opened: CSV injection (OWASP). Every text cell that starts so gets a leading
apostrophe, which spreadsheet programs show as plain text. Numbers stay numbers.

CSV comes out as a stream of byte chunks, UTF-8 with a BOM (without it Excel reads "Núñez" as "NÃºÃ±ez"),
quoted as RFC 4180 says; a response can send it while the rows are still being read.

XLSX exports are written by xlsxwriter in its `constant_memory` mode: rows go to a temporary file as they
come. bench/bench_xlsx_writers.py, 50,000 rows × 10 columns (the largest cardholder export), on the shared
2-core machine: xlsxwriter 6.1 s, peak 0.4 MB; the hand-written writer of webapp/files/excel_writer.py
1.6 s, peak 6.2 MB (4-7x faster across runs). The export spends far longer fetching its 500 pages from the
CMS, so the library's flat memory and its own handling of Excel's limits (sheet names, 32,767-character
cells, `_xHHHH_` escapes) win here; the upload workbook, with a 6 s budget, keeps the faster writer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Final

import xlsxwriter

from webapp.files.excel_writer import Target, Value, clean_sheet_name

# The fullwidth forms count too: some spreadsheet locales treat them as the ASCII ones.
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r", "\x00", "＝", "＋", "－", "＠")
CSV_CHUNK_BYTES: Final = 64 * 1024
FILENAME_MAX: Final = 80

_FILENAME_UNSAFE: Final = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSION: Final = re.compile(r"\.?[A-Za-z0-9]{1,8}")

ExportValue = str | int | float | Decimal | bool | dt.date | dt.datetime | None


def neutralise_text(text: str) -> str:
    """A text that cannot start a formula: prefixed with `'` when it opens with a trigger."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def cell_value(value: ExportValue) -> Value:
    """The value as it should land in a cell: numbers as numbers, everything else as safe text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf": a number cell cannot hold them
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return neutralise_text(str(value)) if not value.is_finite() else float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return neutralise_text(value)


def _csv_text(value: ExportValue) -> str:
    cell = cell_value(value)
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)  # keep "12.50" as written rather than the float 12.5
    return cell if isinstance(cell, str) else str(cell)


def csv_chunks(
    header: Sequence[str],
    rows: Iterable[Sequence[ExportValue]],
    *,
    delimiter: str = ",",
    bom: bool = True,
    chunk_bytes: int = CSV_CHUNK_BYTES,
) -> Iterator[bytes]:
    """Yield the CSV in chunks of about `chunk_bytes`: header first, CRLF line ends, RFC 4180 quoting."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    prefix = b"\xef\xbb\xbf" if bom else b""
    writer.writerow([neutralise_text(name) for name in header])
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
        if buffer.tell() >= chunk_bytes:
            yield prefix + buffer.getvalue().encode("utf-8", errors="replace")
            prefix = b""
            buffer.seek(0)
            buffer.truncate()
    tail = buffer.getvalue()
    if tail or prefix:
        yield prefix + tail.encode("utf-8", errors="replace")


def write_xlsx_export(
    target: Target,
    header: Sequence[str],
    rows: Iterable[Sequence[ExportValue]],
    *,
    sheet_name: str = "Export",
) -> int:
    """An .xlsx export with the same neutralising as the CSV; answers the number of data rows.

    Text is always written as a string (never `write()`, which would turn "=..." into a formula or a URL
    into a link) in the text number format "@", numbers as numbers; an empty value leaves the cell empty.
    The row data passes through a temporary directory of our own, removed even when the rows fail midway.
    """
    with tempfile.TemporaryDirectory(prefix="xlsx-export-") as scratch:
        workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "tmpdir": scratch})
        try:
            # 49 is Excel's built-in text format "@" (a "@" string would become a custom format).
            bold_text = workbook.add_format({"bold": True, "num_format": 49})
            text = workbook.add_format({"num_format": 49})
            sheet = workbook.add_worksheet(clean_sheet_name(sheet_name))
            for column, name in enumerate(header):
                sheet.write_string(0, column, _storable(neutralise_text(name)), bold_text)
            count = 0
            for count, row in enumerate(rows, start=1):
                for column, value in enumerate(row):
                    cell = cell_value(value)
                    if isinstance(cell, str):
                        if cell:
                            sheet.write_string(count, column, _storable(cell), text)
                    elif cell is not None:
                        sheet.write_number(count, column, cell)
        finally:
            workbook.close()
    return count


def _storable(text: str) -> str:
    """Lone surrogates cannot be encoded in the file; they become "?" rather than failing the export."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


def attachment_filename(stem: str, extension: str, *, fallback: str = "export") -> str:
    """An ASCII file name safe in a `Content-Disposition` header and on every file system.

    "Cardholders – Ñandú 11/2026" + "csv" → "Cardholders_-_Nandu_11_2026.csv". No path separators, no
    quotes, no leading dot; accents folded; at most `FILENAME_MAX` characters before the extension.
    """
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    cleaned = _FILENAME_UNSAFE.sub("_", folded).strip("._-")[:FILENAME_MAX].rstrip("._-")
    if not _EXTENSION.fullmatch(extension):
        raise ValueError("the extension must be 1 to 8 letters or digits")
    return f"{cleaned or fallback}.{extension.lstrip('.').lower()}"


def content_disposition(stem: str, extension: str) -> str:
    """The header value that makes a browser download (never display) the file."""
    return f'attachment; filename="{attachment_filename(stem, extension)}"'
