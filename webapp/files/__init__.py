"""Files operators bring (CSV, XLSX, XLS) and files the console produces (upload workbooks, exports).

Pure Python, no Flask: the web layer hands in a seekable binary stream and gets rows, reports or bytes back.
Nothing here knows a domain: the caller names the fields it reads or writes. The usual path of a bulk upload
is `read_table` → the cardholder dry run (webapp/uploads/dry_run.py) → `excel_writer.write_upload_xlsx`.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from webapp.files.excel_reader import iter_sheet_rows
from webapp.files.headers import (
    HeaderMatch,
    Record,
    Row,
    match_headers,
    records,
    require_complete,
    split_header,
)
from webapp.files.sniff import DEFAULT_ZIP_LIMITS, FileKind, Sniffed, ZipLimits, sniff
from webapp.files.text_reader import iter_csv_rows


@dataclass(frozen=True)
class Table:
    """An opened file whose header has been checked: what it is, which column is which, and its rows."""

    sniffed: Sniffed
    header: HeaderMatch
    records: Iterator[Record]


def read_table(
    stream: BinaryIO,
    *,
    file_name: str,
    max_bytes: int,
    fields: Sequence[str],
    mapping: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    allow_text: bool = True,
    zip_limits: ZipLimits = DEFAULT_ZIP_LIMITS,
) -> Table:
    """Sniff, open, match the header; raise `FileRejected` for any file that cannot be used as a whole.

    The records are read lazily: keep `stream` open until they have been consumed.
    """
    sniffed = sniff(
        stream, max_bytes=max_bytes, file_name=file_name, zip_limits=zip_limits, allow_text=allow_text
    )
    rows: Generator[Row, None, None]
    if sniffed.kind is FileKind.CSV:
        rows = iter_csv_rows(stream, file_name=file_name, encoding=sniffed.encoding)
    else:
        rows = iter_sheet_rows(stream, sheet=sheet, file_name=file_name)
    try:
        header_row, header, rest = split_header(rows, file_name=file_name)
        match = match_headers(
            header, fields=fields, mapping=mapping, header_row=header_row, file_name=file_name
        )
        require_complete(match, file_name=file_name)
    except BaseException:
        rows.close()  # release the reader now, not whenever the garbage collector gets to it
        raise
    return Table(sniffed, match, records(rest, match))
