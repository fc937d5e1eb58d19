"""Rows of an .xlsx or .xls sheet as text, through python-calamine (Rust: fast, no XML entity expansion).

Every cell becomes the text an operator would have typed, so that the same validators serve CSV and Excel:
dates → `YYYY-MM-DD`, whole numbers → "123" (not "123.0"), document numbers stored as numbers keep all their
digits. Run `sniff` first: it is what refuses zip and XML bombs before this module opens the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import BinaryIO, Final

import python_calamine as calamine

from webapp.files.errors import FileRejected, Reason
from webapp.translatable import N_

Row = tuple[int, list[str]]
Cell = int | float | str | bool | dt.time | dt.date | dt.datetime | dt.timedelta

# Excel keeps 15 significant digits. A whole number below this converts exactly; a larger one already lost
# digits inside Excel, so it is shown in scientific notation, which the validators then refuse (a
# 20-digit passport number typed as a number must be re-typed as text, not silently changed).
_EXACT_INTEGER_LIMIT: Final = 10**15


def cell_text(value: Cell) -> str:
    """The cell as text: what the operator sees in Excel for the values cardholder files hold."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_INTEGER_LIMIT:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        # A date typed in Excel is a datetime at midnight; a time of day is kept, so it fails the date rule.
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _open(source: BinaryIO, file_name: str) -> calamine.CalamineWorkbook:
    source.seek(0)
    try:
        return calamine.CalamineWorkbook.from_filelike(source)
    except calamine.PasswordError:
        raise FileRejected(
            Reason.ENCRYPTED,
            N_("The workbook is password-protected; save it without a password."),
            file_name=file_name,
        ) from None
    except (
        Exception
    ):  # calamine raises several unrelated types (CalamineError, ZipError, XmlError, ValueError)
        raise FileRejected(
            Reason.UNREADABLE, N_("The workbook could not be read."), file_name=file_name
        ) from None


def sheet_names(source: BinaryIO, *, file_name: str = "upload") -> list[str]:
    """The worksheet names in workbook order (for a "which sheet?" choice)."""
    with _open(source, file_name) as workbook:
        return list(workbook.sheet_names)


def iter_sheet_rows(
    source: BinaryIO, *, sheet: str | int | None = None, file_name: str = "upload"
) -> Generator[Row, None, None]:
    """Yield `(row_number, cells)` of one sheet (default: the first), row numbers as Excel shows them.

    Empty rows are yielded as lists of empty strings so that numbering stays exact; trailing empty cells are
    kept (the header decides which columns matter).
    """
    workbook = _open(source, file_name)
    try:
        names = workbook.sheet_names
        if not names:
            raise FileRejected(Reason.SHEET_NOT_FOUND, N_("The workbook has no sheets."), file_name=file_name)
        wanted = names[0] if sheet is None else sheet
        if isinstance(wanted, int):
            if not 0 <= wanted < len(names):
                raise FileRejected(
                    Reason.SHEET_NOT_FOUND, N_("The sheet does not exist."), file_name=file_name
                )
            wanted = names[wanted]
        if wanted not in names:
            raise FileRejected(
                Reason.SHEET_NOT_FOUND,
                N_("The sheet does not exist."),
                file_name=file_name,
                details=(wanted,),
            )
        try:
            rows = workbook.get_sheet_by_name(wanted).iter_rows()
        except Exception:  # a damaged sheet part surfaces here, not when the workbook opens
            raise FileRejected(
                Reason.UNREADABLE, N_("The sheet could not be read."), file_name=file_name
            ) from None
        # calamine (0.9) starts the iteration at the sheet's first row, even when it is empty.
        for row_number, cells in enumerate(rows, start=1):
            yield row_number, [value if type(value) is str else cell_text(value) for value in cells]
    finally:
        workbook.close()
