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
import itertools
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
# Column widths are measured on the header and the first rows (the rest stream past unseen), within bounds a
# reader can still scan: a long observation wraps rather than pushing every other column off screen.
WIDTH_SAMPLE_ROWS: Final = 200
MIN_WIDTH: Final = 6
MAX_WIDTH: Final = 60


def in_zone(moment: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    """`moment` in `zone` (a naive moment is UTC, as the store writes it); unchanged without a zone."""
    if zone is None:
        return moment
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone)


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


def _csv_text(value: ExportValue, zone: dt.tzinfo | None = None) -> str:
    if isinstance(value, dt.datetime):
        return in_zone(value, zone).isoformat(timespec="seconds")  # the offset says which zone
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
    zone: dt.tzinfo | None = None,
) -> Iterator[bytes]:
    """Yield the CSV in chunks of about `chunk_bytes`: header first, CRLF line ends, RFC 4180 quoting.
    Times are ISO 8601 with their offset, in `zone` when one is given."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    prefix = b"\xef\xbb\xbf" if bom else b""
    writer.writerow([neutralise_text(name) for name in header])
    for row in rows:
        writer.writerow([_csv_text(value, zone) for value in row])
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
    zone: dt.tzinfo | None = None,
) -> int:
    """An .xlsx export with the same neutralising as the CSV; answers the number of data rows.

    Text is always written as a string (never `write()`, which would turn "=..." into a formula or a URL
    into a link) in the text number format "@", numbers as numbers, dates and times as real Excel dates (times
    in `zone`, which the caller names in the header: a cell has no zone); an empty value leaves the cell
    empty. The header row is frozen and carries a filter; columns are as wide as their first rows need.
    The row data passes through a temporary directory of our own, removed even when the rows fail midway.
    """
    rows = iter(rows)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE_ROWS))
    with tempfile.TemporaryDirectory(prefix="xlsx-export-") as scratch:
        workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "tmpdir": scratch})
        try:
            # 49 is Excel's built-in text format "@" (a "@" string would become a custom format).
            bold_text = workbook.add_format({"bold": True, "num_format": 49})
            text = workbook.add_format({"num_format": 49})
            day = workbook.add_format({"num_format": "yyyy-mm-dd"})
            moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
            sheet = workbook.add_worksheet(clean_sheet_name(sheet_name))
            for column, width in enumerate(_widths(header, sample)):
                sheet.set_column(column, column, width)
            sheet.freeze_panes(1, 0)
            for column, name in enumerate(header):
                sheet.write_string(0, column, _storable(neutralise_text(name)), bold_text)
            count = 0
            for count, row in enumerate(itertools.chain(sample, rows), start=1):
                for column, value in enumerate(row):
                    if isinstance(value, dt.datetime):
                        local = in_zone(value, zone).replace(tzinfo=None)
                        sheet.write_datetime(count, column, local, moment)
                        continue
                    if isinstance(value, dt.date):
                        sheet.write_datetime(count, column, value, day)
                        continue
                    cell = cell_value(value)
                    if isinstance(cell, str):
                        if cell:
                            sheet.write_string(count, column, _storable(cell), text)
                    elif cell is not None:
                        sheet.write_number(count, column, cell)
            if header:
                sheet.autofilter(0, 0, count, len(header) - 1)
        finally:
            workbook.close()
    return count


def _widths(header: Sequence[str], sample: Sequence[Sequence[ExportValue]]) -> list[int]:
    """Characters per column: the longest of the header and the sampled values, within the bounds."""
    widths = [len(name) + 3 for name in header]  # room for the filter button
    for row in sample:
        for column, value in enumerate(row[: len(widths)]):
            shown = 16 if isinstance(value, dt.datetime) else 10 if isinstance(value, dt.date) else None
            length = shown if shown is not None else len(_csv_text(value))
            widths[column] = max(widths[column], length + 1)
    return [min(MAX_WIDTH, max(MIN_WIDTH, width)) for width in widths]


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
