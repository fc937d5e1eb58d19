"""Which column holds which field: the header row matched to the documented names.

The caller names the fields it expects. Operators' files say "Last Name", "LASTNAME" or "last_name"; all
mean `lastName`. Matching ignores case, spaces, underscores, hyphens and accents, and nothing more: there are
no synonyms ("apellido" is not guessed), but the caller may pass an explicit mapping chosen by the operator.
Extra columns are reported and ignored; missing ones are reported so that the file can be refused before any
row is read.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from webapp.files.errors import FileRejected, Reason
from webapp.translatable import N_

Row = tuple[int, list[str]]
Record = tuple[int, dict[str, str]]

_IGNORED_IN_HEADERS = frozenset("_-\ufeff")


def header_key(text: str) -> str:
    """The comparable form of a header: "Fécha de_Nacimiento " → "fechadenacimiento"."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = (
        char
        for char in decomposed
        if not unicodedata.combining(char) and not char.isspace() and char not in _IGNORED_IN_HEADERS
    )
    return "".join(kept).casefold()


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """The outcome of matching one header row against the expected fields."""

    header_row: int
    columns: Mapping[str, int]  # field → 0-based column index
    extra: tuple[str, ...]  # header texts of the columns that are ignored
    missing: tuple[str, ...]  # expected fields with no column
    duplicated: tuple[str, ...]  # fields claimed by more than one column

    @property
    def complete(self) -> bool:
        return not self.missing and not self.duplicated


def match_headers(
    header: Sequence[str],
    *,
    fields: Sequence[str],
    mapping: Mapping[str, str] | None = None,
    header_row: int = 1,
    file_name: str = "upload",
) -> HeaderMatch:
    """Match the header cells to `fields`; `mapping` ({file header → field}) takes precedence."""
    by_key = {header_key(field): field for field in fields}
    chosen = _normalised_mapping(mapping or {}, fields, file_name)
    columns: dict[str, int] = {}
    extra: list[str] = []
    duplicated: list[str] = []
    for index, text in enumerate(header):
        key = header_key(text)
        if not key:
            continue  # an unnamed column: nothing to match, nothing to report
        field = chosen.get(key) or by_key.get(key)
        if field is None:
            extra.append(text.strip())
        elif field in columns:
            if field not in duplicated:
                duplicated.append(field)
        else:
            columns[field] = index
    missing = tuple(field for field in fields if field not in columns)
    return HeaderMatch(header_row, columns, tuple(extra), missing, tuple(duplicated))


def _normalised_mapping(mapping: Mapping[str, str], fields: Sequence[str], file_name: str) -> dict[str, str]:
    unknown = sorted({field for field in mapping.values() if field not in fields})
    if unknown:
        raise FileRejected(
            Reason.BAD_MAPPING,
            N_("The column mapping names unknown fields."),
            file_name=file_name,
            details=tuple(unknown),
        )
    return {header_key(text): field for text, field in mapping.items()}


def require_complete(match: HeaderMatch, *, file_name: str = "upload") -> None:
    """Refuse the file, naming the columns, when a field has no column or two."""
    problems = (
        (match.missing, N_("Required columns are missing from the header row.")),
        (match.duplicated, N_("Some columns appear more than once in the header row.")),
    )
    for columns, message in problems:
        if columns:
            raise FileRejected(
                Reason.BAD_HEADER, message, file_name=file_name, row=match.header_row, details=columns
            )


def split_header(rows: Iterable[Row], *, file_name: str = "upload") -> tuple[int, list[str], Iterator[Row]]:
    """The first non-blank row is the header; returns its number, its cells and the rows after it."""
    iterator = iter(rows)
    for row_number, cells in iterator:
        if _has_content(cells):
            return row_number, cells, iterator
    raise FileRejected(Reason.NO_HEADER, N_("The file has no header row."), file_name=file_name)


def records(rows: Iterable[Row], match: HeaderMatch) -> Iterator[Record]:
    """Each non-blank data row as {field: text}; a missing trailing cell counts as empty."""
    positions = tuple(match.columns.items())
    names = tuple(name for name, _ in positions)
    # Files in the documented layout (the usual case) map straight through zip, without index lookups.
    in_order = all(index == position for position, (_, index) in enumerate(positions))
    width_needed = len(positions)
    for row_number, cells in rows:
        # The first cell usually settles it; only rows that start blank need the full look.
        first = cells[0] if cells else ""
        if not (first and not first.isspace()) and not _has_content(cells):
            continue
        if in_order and len(cells) >= width_needed:
            yield row_number, dict(zip(names, cells, strict=False))  # extra cells: ignored
        else:
            width = len(cells)
            yield row_number, {name: cells[index] if index < width else "" for name, index in positions}


def _has_content(cells: Sequence[str]) -> bool:
    # Two C-level passes instead of a generator: this runs once per row.
    return any(cells) and not "".join(cells).isspace()
