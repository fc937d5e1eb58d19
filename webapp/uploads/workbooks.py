"""The workbook an upload sends upstream: the kind's documented columns in order (ASSUMPTIONS.md #14)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from webapp.cardholders.vocabulary import FIELDS
from webapp.files.excel_writer import Target, write_upload_xlsx, write_xlsx
from webapp.uploads.checking import CARD_FIELDS


def write_cardholders_xlsx(rows: Iterable[Sequence[str | int]], target: Target) -> int:
    """The cardholder upload file: the twelve documented columns in order, `cardId` numeric."""
    return write_upload_xlsx(rows, target, header=FIELDS, sheet_name="cardholders")


def write_upload_workbook(kind: str, rows: Iterable[Sequence[str | int]], target: Target) -> int:
    """The file for an upload of `kind` ("users" or "cards"); answers the number of rows written."""
    if kind == "users":
        return write_cardholders_xlsx(rows, target)
    return write_xlsx(target, CARD_FIELDS, rows, sheet_name="cards")
