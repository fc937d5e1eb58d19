"""The two xlsx writers side by side: the hand-written streaming writer and xlsxwriter in `constant_memory`.

Why both are kept, and where: the upload workbook (100,000 rows × 12 columns, a 6 s bar for the whole
conversion) is written by webapp/files/excel_writer.py, several times faster; the exports (at most 50,000
rows, webapp/cardholders/export.py) are written by xlsxwriter, whose memory stays flat whatever the rows.
This prints both writers' time and peak traced memory on both workloads, and the ratios, so the choice can
be checked again on any machine. The rows are made before the clock starts and files go to a temporary
directory on disk, so neither the input nor the output is counted. Times come from an untraced run; memory
from a second, traced one (tracemalloc slows Python down several times).
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from webapp.cardholders.rules import FIELDS
from webapp.files.excel_writer import write_xlsx
from webapp.files.export import ExportValue, cell_value, neutralise_text, write_xlsx_export
from webapp.uploads.workbooks import write_cardholders_xlsx

UPLOAD_ROWS = 100_000
EXPORT_ROWS = 50_000
EXPORT_HEADER = (
    "cardholderId",
    "name",
    "documentType",
    "document",
    "email",
    "phone",
    "status",
    "balance",
    "createdAt",
    "cards",
)

Writer = Callable[[Path, list[Any]], int]


def upload_rows(count: int = UPLOAD_ROWS, seed: int = 7) -> Iterator[list[str | int]]:
    """Rows shaped like the bulk file after its dry run: eleven texts and the numeric cardId."""
    rng = random.Random(seed)
    for index in range(count):
        yield [
            rng.choice(("Ana", "José", "María Fernanda", "Luis")),
            rng.choice(("López García", "Núñez", "Pérez Ramírez")),
            f"{rng.randint(1, 30)}a Avenida {rng.randint(1, 99)}-{rng.randint(1, 99)}, Zona 1",
            "GT",
            f"{rng.randint(1950, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "SINGLE",
            "F",
            f"502{rng.randint(30000000, 59999999)}",
            f"cardholder.{index}@example.com",
            "DPI",
            f"{1000000000000 + index * 7919:013d}",
            100_000 + index,
        ]


def export_rows(count: int = EXPORT_ROWS, seed: int = 11) -> Iterator[list[ExportValue]]:
    """Rows shaped like the cardholder export: masked texts, a status, an amount, a date, a count."""
    rng = random.Random(seed)
    created = dt.datetime(2026, 1, 1, 9, 30, tzinfo=dt.UTC)
    for index in range(count):
        yield [
            10_000 + index,
            rng.choice(("Ana L.", "José N.", "María P.")),
            "DPI",
            f"*********{rng.randint(1000, 9999)}",
            f"c***{index}@example.com",
            f"+502 ****{rng.randint(1000, 9999)}",
            rng.choice(("ACTIVE", "BLOCKED", "CLOSED")),
            Decimal(rng.randint(0, 10_000_000)) / 100,
            created + dt.timedelta(minutes=index),
            rng.randint(0, 3),
        ]


def upload_by_hand(path: Path, rows: list[Any]) -> int:
    return write_cardholders_xlsx(rows, path)


def upload_by_xlsxwriter(path: Path, rows: list[Any]) -> int:
    """The same workbook as write_cardholders_xlsx (bold text header, text cells, a numeric cardId)."""
    with xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(path.parent)}) as book:
        bold_text = book.add_format({"bold": True, "num_format": 49})
        text = book.add_format({"num_format": 49})
        sheet = book.add_worksheet("cardholders")
        for column, name in enumerate(FIELDS):
            sheet.write_string(0, column, name, bold_text)
        count = 0
        for count, row in enumerate(rows, start=1):
            for column, value in enumerate(row[:-1]):
                sheet.write_string(count, column, str(value), text)
            sheet.write_number(count, len(row) - 1, row[-1])
    return count


def export_by_hand(path: Path, rows: list[Any]) -> int:
    """What write_xlsx_export did before it moved to xlsxwriter: the same neutralising, the own writer."""
    header = [neutralise_text(name) for name in EXPORT_HEADER]
    cells = ([cell_value(value) for value in row] for row in rows)
    return write_xlsx(path, header, cells, sheet_name="Cardholders")


def export_by_xlsxwriter(path: Path, rows: list[Any]) -> int:
    with path.open("wb") as handle:
        return write_xlsx_export(handle, EXPORT_HEADER, rows, sheet_name="Cardholders")


def measure(writer: Writer, rows: list[Any], folder: Path) -> tuple[float, float, int]:
    """Seconds (untraced run), peak traced MB (second run), file size."""
    target = folder / f"{writer.__name__}.xlsx"
    started = time.perf_counter()
    writer(target, rows)
    seconds = time.perf_counter() - started
    size = target.stat().st_size
    target.unlink()
    tracemalloc.start()
    try:
        writer(target, rows)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    target.unlink()
    return seconds, peak / 1e6, size


def compare(title: str, rows: list[Any], pair: Sequence[Writer], folder: Path) -> None:
    (hand_s, hand_mb, hand_size), (lib_s, lib_mb, lib_size) = (measure(w, rows, folder) for w in pair)
    print(f"{title}: {len(rows):,} rows")
    print(f"  hand-written  {hand_s:6.2f} s  peak {hand_mb:6.1f} MB  file {hand_size / 1e6:5.1f} MB")
    print(f"  xlsxwriter    {lib_s:6.2f} s  peak {lib_mb:6.1f} MB  file {lib_size / 1e6:5.1f} MB")
    print(
        f"  xlsxwriter / hand-written: time {lib_s / hand_s:.1f}x, memory {lib_mb / hand_mb:.2f}x",
        flush=True,
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-xlsx-") as scratch:
        folder = Path(scratch)
        compare(
            "upload workbook (12 columns; kept on the hand-written writer)",
            list(upload_rows()),
            (upload_by_hand, upload_by_xlsxwriter),
            folder,
        )
        compare(
            "export (10 columns; written by xlsxwriter)",
            list(export_rows()),
            (export_by_hand, export_by_xlsxwriter),
            folder,
        )


if __name__ == "__main__":
    main()
