"""Why a file was refused, said clearly enough that an operator can fix it.

Every failure names the file, and the row or field when there is one. The `message` is a fixed English
sentence that doubles as the translation key; the specifics (file, row, field, limits) travel separately so
that a translated sentence can still show them. Messages never contain cell values (personal data).
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Machine-readable reason codes; the web layer maps them to HTTP answers (e.g. TOO_LARGE → 413)."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNKNOWN_TYPE = "unknown_type"
    NOT_TEXT = "not_text"
    MARKUP = "markup"
    ZIP_BOMB = "zip_bomb"
    XML_BOMB = "xml_bomb"
    NOT_XLSX = "not_xlsx"
    UNREADABLE = "unreadable"
    ENCRYPTED = "encrypted"
    SHEET_NOT_FOUND = "sheet_not_found"
    NO_HEADER = "no_header"
    BAD_HEADER = "bad_header"
    BAD_MAPPING = "bad_mapping"
    TOO_MANY_COLUMNS = "too_many_columns"


class FileProblem(Exception):
    """Base of every error raised by `webapp.files`."""

    def __init__(
        self,
        reason: Reason,
        message: str,
        *,
        file_name: str | None = None,
        row: int | None = None,
        field: str | None = None,
        details: tuple[str, ...] = (),
    ) -> None:
        self.reason = reason
        self.message = message
        self.file_name = file_name
        self.row = row
        self.field = field
        # Column or field names involved (e.g. the missing columns); never cell values.
        self.details = details
        super().__init__(self.describe())

    @property
    def reason_code(self) -> str:
        return self.reason.value

    def describe(self) -> str:
        """One English line: where, then what, then which names."""
        where = []
        if self.file_name:
            where.append(f"File {self.file_name!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field {self.field!r}")
        text = self.message
        if self.details:
            text = f"{text} ({', '.join(self.details)})"
        return f"{', '.join(where)}: {text}" if where else text


class FileRejected(FileProblem):
    """The file as a whole cannot be used; nothing in it was processed."""
