"""CSV rows, streamed: comma or semicolon, UTF-8 (with or without BOM), UTF-16 (BOM) or Windows-1252.

Spreadsheet programs in Spanish-speaking locales save CSV with semicolons and in Windows-1252, so both are
normal here. The delimiter is decided once from the header line; rows come out one at a time with their
spreadsheet row number (header = row 1), so a 100,000-row file never sits in memory as a list.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
from collections.abc import Generator
from typing import BinaryIO, Final

from webapp.files.errors import FileRejected, Reason
from webapp.files.sniff import detect_text_encoding
from webapp.translatable import N_

Row = tuple[int, list[str]]

DELIMITERS: Final = (",", ";")
# A real row has a dozen columns; thousands mean the file is not the table it claims to be. (Cells longer
# than the csv module's default limit of 128 KiB are refused by the module itself.)
MAX_COLUMNS: Final = 512


def detect_delimiter(header_line: str) -> str:
    """The delimiter used more often outside quotes in the header line; a comma when there is neither."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


def iter_csv_rows(
    stream: BinaryIO, *, file_name: str = "upload", encoding: str | None = None
) -> Generator[Row, None, None]:
    """Yield `(row_number, cells)` for every record, blank ones included (as an empty list).

    `encoding` comes from `sniff`; without it the stream is scanned first (so the case below cannot arise).
    Decoding is strict: a byte that does not fit the encoding stops the file, naming the first row not yet
    read (text is decoded a few kilobytes ahead, so the byte is in that row or a little further). The
    caller's stream is not closed.
    """
    codec = encoding or detect_text_encoding(stream, file_name=file_name)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=codec, errors="strict", newline="")
    row_number = 0
    try:
        first_line = text.readline()
        if first_line.startswith("\ufeff"):
            # A BOM inside a file already decoded as UTF-16, or doubled by an editor.
            first_line = first_line[1:]
        delimiter = detect_delimiter(first_line)
        reader = csv.reader(itertools.chain((first_line,), text), delimiter=delimiter, strict=False)
        for row_number, cells in enumerate(reader, start=1):
            if len(cells) > MAX_COLUMNS:
                raise FileRejected(
                    Reason.TOO_MANY_COLUMNS,
                    N_("The row has too many columns."),
                    file_name=file_name,
                    row=row_number,
                )
            yield row_number, cells
    except UnicodeDecodeError:
        raise FileRejected(
            Reason.UNREADABLE,
            N_("The file's text encoding could not be read (save it as UTF-8)."),
            file_name=file_name,
            row=row_number + 1,
        ) from None
    except csv.Error:
        raise FileRejected(
            Reason.UNREADABLE, N_("The row is not valid CSV."), file_name=file_name, row=row_number + 1
        ) from None
    finally:
        # Detach, or closing the wrapper (also at garbage collection) would close the caller's stream.
        # When the generator is collected after that stream was closed, there is nothing left to protect.
        with contextlib.suppress(ValueError):
            text.detach()
