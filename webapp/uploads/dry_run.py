"""A cardholder file checked before upload: which rows the API would create, refuse, or see as duplicates.

It applies the cardholder rules of the single create (webapp/cardholders/rules.py) to the rows the file
layer reads (webapp/files), which knows no fields of its own.

The prediction follows the upstream's order of work: rows are taken top to bottom, a row with any invalid
field fails, and a valid row whose document number, e-mail or card is already taken (by an earlier row of
the same file, or by an existing record the caller knows of) fails as a duplicate. Only rows that would be
created claim their keys, exactly as only created rows occupy them upstream.

The report is safe to show and to export: document numbers, e-mails and phone numbers appear masked, other
values shortened. Valid rows are kept packed (one string per row) so that 100,000 rows stay small.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Collection, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import Final, TypeVar, cast

from webapp.cardholders.phones import DEFAULT_REGION
from webapp.cardholders.rules import NewCardholder, today_utc, validate_cardholder
from webapp.cardholders.vocabulary import FIELDS
from webapp.translatable import N_

DUPLICATE_IN_FILE: Final = N_("Same value as an earlier row of this file.")
ALREADY_EXISTS: Final = N_("Already used by an existing cardholder or card.")

# The business keys the API keeps unique per partner, in the order duplicates are reported.
KEY_FIELDS: Final = ("documentNumber", "email", "cardId")
MASKED_FIELDS: Final = frozenset({"documentNumber", "email", "phoneNumber"})
SHOWN_MAX: Final = 40
DEFAULT_MAX_ISSUES: Final = 50_000

# The validators refuse control characters, so this one can never occur inside a value.
_SEPARATOR: Final = "\x1f"
_TEXT_COUNT: Final = len(FIELDS) - 1  # every field but cardId, the last
_CARD_DIGITS_MAX: Final = 20  # far beyond any real id, and well below int()'s limit on digit strings
_UNPRINTABLE: Final = re.compile("[\x00-\x1f\x7f-\x9f]")
_KEY_SEPARATORS: Final = re.compile(r"[\s\-]+")


class Outcome(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem of one row: where, what (a translatable message), and a safe glimpse of the value."""

    row: int
    field: str
    message: str
    shown: str
    first_row: int | None = None  # for a duplicate inside the file: the row that came first


class ValidRows:
    """The rows that would be created: the eleven texts packed into one string per row, the card ids and
    the source row numbers in plain arrays (about 200 bytes a row instead of a kilobyte of objects)."""

    __slots__ = ("_card_ids", "_packed", "_source_rows")

    def __init__(self) -> None:
        self._packed: list[str] = []
        self._card_ids = array("q")
        # Upstream numbers the rows of the converted file; this maps them back to the operator's file.
        self._source_rows = array("L")

    def append(self, row_number: int, cardholder: NewCardholder) -> None:
        packed = _SEPARATOR.join(cast(tuple[str, ...], cardholder[:_TEXT_COUNT]))
        if packed.count(_SEPARATOR) != _TEXT_COUNT - 1:
            raise ValueError("a validated value contains the packing separator")
        self._packed.append(packed)
        self._card_ids.append(cardholder.cardId)
        self._source_rows.append(row_number)

    def __len__(self) -> int:
        return len(self._packed)

    def source_row(self, index: int) -> int:
        """The operator's row number of the `index`-th valid row (0-based)."""
        return self._source_rows[index]

    def source_row_for_upload_row(self, upload_row: int) -> int:
        """The operator's row behind a row number the API reports for the converted file (header = row 1)."""
        if upload_row < 2:
            raise IndexError("row 1 of the converted file is its header")
        return self._source_rows[upload_row - 2]

    def payload_rows(self) -> Iterator[tuple[str | int, ...]]:
        """Each row's values in the documented column order, `cardId` as an int (for the Excel writer)."""
        for packed, card_id in zip(self._packed, self._card_ids, strict=True):
            yield (*packed.split(_SEPARATOR), card_id)

    def __iter__(self) -> Iterator[tuple[int, NewCardholder]]:
        for row_number, packed, card_id in zip(self._source_rows, self._packed, self._card_ids, strict=True):
            v = packed.split(_SEPARATOR)
            yield (
                row_number,
                NewCardholder(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], card_id),
            )


@dataclass(slots=True, kw_only=True)
class Counts:
    """What a dry run counts. Its report, its result (webapp/uploads/checking.py) and the upload's record
    (webapp/store/uploads.py) keep the same numbers."""

    total: int = 0
    valid: int = 0
    invalid: int = 0
    duplicate: int = 0
    issues_omitted: int = 0  # issues found beyond the cap: counted, not kept

    @property
    def has_problems(self) -> bool:
        return bool(self.invalid or self.duplicate)

    def counts(self) -> dict[str, int]:
        """The numbers by name, for a result or a record that keeps them too."""
        return {counted.name: getattr(self, counted.name) for counted in fields(Counts)}


@dataclass(slots=True)
class DryRunReport(Counts):
    """Predicted counts, the issues found (up to a cap) and the rows ready for conversion."""

    issues: list[Issue] = field(default_factory=list)
    valid_rows: ValidRows = field(default_factory=ValidRows)

    def issues_by_row(self) -> dict[int, list[Issue]]:
        grouped: dict[int, list[Issue]] = {}
        for issue in self.issues:
            grouped.setdefault(issue.row, []).append(issue)
        return grouped


def business_key(field_name: str, value: str) -> str:
    """The form in which two values count as the same key: case, spaces and dashes do not matter."""
    if field_name == "email":
        return value.strip().casefold()
    if field_name == "cardId":
        text = value.strip()
        return str(int(text)) if text.isascii() and text.isdigit() and len(text) <= _CARD_DIGITS_MAX else text
    return _KEY_SEPARATORS.sub("", value).upper()


def mask_value(field_name: str, value: str) -> str:
    """A glimpse that helps find the row without disclosing the value (PCI/PII: never the full thing)."""
    text = _UNPRINTABLE.sub("?", " ".join(value.split()))
    if field_name == "email":
        local, at, domain = text.rpartition("@")
        if not at:
            return _stars(text, keep_start=1)
        return f"{local[:1]}***@{_shorten(domain)}"
    if field_name in MASKED_FIELDS:
        return _stars(text, keep_end=2 if field_name == "phoneNumber" else 3)
    return _shorten(text)


def _stars(text: str, *, keep_start: int = 0, keep_end: int = 0) -> str:
    if len(text) <= keep_start + keep_end + 2:
        return "*" * min(len(text), SHOWN_MAX)
    hidden = min(len(text) - keep_start - keep_end, SHOWN_MAX)
    return text[:keep_start] + "*" * hidden + (text[-keep_end:] if keep_end else "")


def _shorten(text: str) -> str:
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def _known_sets(known_keys: Mapping[str, Collection[str]] | None) -> dict[str, frozenset[str]]:
    known = known_keys or {}
    return {
        name: frozenset(business_key(name, value) for value in known.get(name, ())) for name in KEY_FIELDS
    }


def dry_run(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    known_keys: Mapping[str, Collection[str]] | None = None,
    today: date | None = None,
    max_issues: int = DEFAULT_MAX_ISSUES,
    region: str = DEFAULT_REGION,
) -> DryRunReport:
    """Validate every row and predict the outcome of uploading them all.

    `rows` are `(row_number, {field: text})` as `webapp.files.headers.records` yields them; `known_keys`
    maps a key field (`documentNumber`, `email`, `cardId`) to values already taken upstream; `region` is the
    one a phone without "+" belongs to (the PHONE_REGION setting, as in the single-create form).
    """
    report = DryRunReport()
    issues = report.issues
    add_valid = report.valid_rows.append
    judged_on = today or today_utc()
    known = _known_sets(known_keys)
    known_documents, known_emails = known["documentNumber"], known["email"]
    # Card ids compare as numbers ("042" is card 42); a known id that is not a number cannot clash.
    known_cards = frozenset(
        int(card)
        for card in known["cardId"]
        if card.isascii() and card.isdigit() and len(card) <= _CARD_DIGITS_MAX
    )
    first_document: dict[str, int] = {}
    first_email: dict[str, int] = {}
    first_card: dict[int, int] = {}
    total = invalid = duplicate = 0

    def note(issue: Issue) -> None:
        if len(issues) < max_issues:
            issues.append(issue)
        else:
            report.issues_omitted += 1

    for row_number, raw in rows:
        total += 1
        cardholder, problems = validate_cardholder(raw, today=judged_on, region=region)
        if cardholder is None:
            invalid += 1
            for name in FIELDS:
                if name in problems:
                    note(Issue(row_number, name, problems[name], mask_value(name, str(raw.get(name) or ""))))
            continue
        document, email, card = cardholder.documentNumber, cardholder.email.casefold(), cardholder.cardId
        # The common case (no key seen before) costs six set and dict look-ups and nothing more.
        if (
            document in first_document
            or email in first_email
            or card in first_card
            or document in known_documents
            or email in known_emails
            or card in known_cards
        ):
            duplicate += 1
            for issue in (
                _key_issue(row_number, "documentNumber", document, known_documents, first_document),
                _key_issue(row_number, "email", email, known_emails, first_email),
                _key_issue(row_number, "cardId", card, known_cards, first_card),
            ):
                if issue is not None:
                    note(issue)
            continue
        first_document[document] = first_email[email] = first_card[card] = row_number
        add_valid(row_number, cardholder)
    report.total, report.invalid, report.duplicate = total, invalid, duplicate
    report.valid = total - invalid - duplicate
    return report


Key = TypeVar("Key", str, int)


def _key_issue(
    row_number: int, name: str, key: Key, known: AbstractSet[Key], first_rows: Mapping[Key, int]
) -> Issue | None:
    """Why this key cannot be used again, if it cannot: taken upstream, or by an earlier row of the file."""
    if key in known:
        return Issue(row_number, name, ALREADY_EXISTS, mask_value(name, str(key)))
    if key in first_rows:
        return Issue(row_number, name, DUPLICATE_IN_FILE, mask_value(name, str(key)), first_rows[key])
    return None
