"""The dry run of one staged file, for either kind of upload, on top of the file layer (`webapp.files`).

Cardholder files (`users`) go through `dry_run` — the validators of the single create. Card files
(`cards`: documentType, documentNumber, cardId) use the same field validators, row by row. Both then meet the
partner's earlier uploads: a valid row whose document number, e-mail or card id was already sent in an
earlier upload counts as a duplicate. Earlier keys are compared as keyed digests (see `key_digest`), never as
values. No Flask in here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from webapp.cardholders.phones import DEFAULT_REGION
from webapp.cardholders.rules import (
    FieldInvalid,
    clean_card_id,
    clean_document_number,
    clean_document_type,
)
from webapp.cardholders.vocabulary import FIELDS
from webapp.files import read_table
from webapp.files.errors import FileRejected, Reason
from webapp.files.excel_reader import iter_sheet_rows, sheet_names
from webapp.files.headers import HeaderMatch, Row, match_headers, split_header
from webapp.files.sniff import FileKind, Sniffed, sniff
from webapp.files.text_reader import iter_csv_rows
from webapp.translatable import N_
from webapp.uploads.dry_run import (
    DUPLICATE_IN_FILE,
    Counts,
    DryRunReport,
    Issue,
    business_key,
    dry_run,
    mask_value,
)

MAX_FILE_BYTES: Final = 16 * 1024 * 1024  # the upstream's upload limit (ASSUMPTIONS.md #14)
CARD_FIELDS: Final = ("documentType", "documentNumber", "cardId")
KIND_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {"users": tuple(FIELDS), "cards": CARD_FIELDS}
# Which business keys each kind keeps unique per partner. A cards file may give a second card to the same
# person, so only the card id must be unique there.
KIND_KEYS: Final[Mapping[str, tuple[str, ...]]] = {
    "users": ("documentNumber", "email", "cardId"),
    "cards": ("cardId",),
}
ALREADY_UPLOADED: Final = N_("Already sent in an earlier upload of this partner.")
# The upstream answers 8014 for a card that is not a free card of the partner (webapp/sandbox/codes.py).
CARD_NOT_FREE: Final = N_("This card is not free for this partner: the CMS would refuse the row.")
# Free-text fields whose inner whitespace the validators collapse (`cardholders.rules._free_text`).
_LINE_BREAK_FIELDS: Final = ("name", "lastName", "address")
LINE_BREAK_ROWS_KEPT: Final = 20
MISSING_COLUMNS: Final = N_("Required columns are missing")
_EXPORT_TRIGGERS: Final = ("'=", "'+", "'-", "'@")

Payload = tuple[str | int, ...]
# Answers which of the given digests earlier uploads of this partner already hold.
KnownDigests = Callable[[Collection[str]], set[str]]
# Answers which of the given card ids are free cards of the partner; raises CardsUnknown when it cannot tell.
FreeCards = Callable[[Collection[int]], set[int]]


class CardsUnknown(Exception):
    """The CMS cannot say which cards are free (operation missing, not permitted, or not answering)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def key_digest(secret: bytes, field_name: str, value: str) -> str:
    """A keyed digest of a business key: comparable across uploads, useless to anyone without the secret."""
    text = f"{field_name}:{business_key(field_name, value)}"
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


def payload_keys(kind: str, payload: Payload) -> list[tuple[str, str]]:
    """(field, value) of the business keys of one accepted row."""
    fields = KIND_FIELDS[kind]
    return [(name, str(payload[fields.index(name)])) for name in KIND_KEYS[kind]]


@dataclass
class Accepted:
    """The rows that would be sent, in file order: (operator's row number, values in the documented order)."""

    rows: list[tuple[int, Payload]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[int, Payload]]:
        return iter(self.rows)


@dataclass
class CheckResult(Counts):
    """The dry run's counts, once the partner's earlier uploads and free cards were taken into account."""

    kind: str
    sniffed: Sniffed
    sheet: str | None
    extra_columns: tuple[str, ...]
    issues: list[Issue]
    accepted: Accepted
    # Facts about the dry run itself, shown above its counts: checks only the CMS could make, line breaks.
    # Added once the rows are counted, never given at the start.
    notices: list[dict[str, object]] = field(default_factory=list, init=False)


class NeedsSheet(Exception):
    """A workbook with several sheets and no choice made yet."""

    def __init__(self, names: list[str]) -> None:
        super().__init__("choose a sheet")
        self.names = names


class NeedsMapping(Exception):
    """The header does not name every field (or names one twice): the operator must assign columns."""

    def __init__(self, header: list[str], match: HeaderMatch) -> None:
        super().__init__("assign the columns")
        self.header = header
        self.match = match


def _rows(path: Path, sniffed: Sniffed, sheet: str | None, file_name: str) -> Generator[Row, None, None]:
    with path.open("rb") as stream:
        if sniffed.kind is FileKind.CSV:
            yield from iter_csv_rows(stream, file_name=file_name, encoding=sniffed.encoding)
        else:
            yield from iter_sheet_rows(stream, sheet=sheet, file_name=file_name)


def inspect(
    path: Path, *, file_name: str, sheet: str | None, kind: str | None = None
) -> tuple[Sniffed, str | None]:
    """Type the file by content and settle the sheet; FileRejected or NeedsSheet when that is not possible.

    With `kind`, a workbook of several sheets settles on the one sheet whose header names every field."""
    with path.open("rb") as stream:
        sniffed = sniff(stream, max_bytes=MAX_FILE_BYTES, file_name=file_name)
        if sniffed.kind is FileKind.CSV:
            return sniffed, None
        names = sheet_names(stream, file_name=file_name)
    if sheet:
        if sheet not in names:
            raise NeedsSheet(names)
        return sniffed, sheet
    if len(names) > 1:
        matching = [name for name in names if kind and _header_matches(path, sniffed, name, file_name, kind)]
        if len(matching) == 1:
            return sniffed, matching[0]
        raise NeedsSheet(names)
    return sniffed, names[0] if names else None


def workbook_sheets(path: Path, file_name: str) -> list[str]:
    """The sheet names of a staged workbook, so the operator can switch sheet without uploading again."""
    try:
        with path.open("rb") as stream:
            return sheet_names(stream, file_name=file_name)
    except FileRejected:
        return []


def missing_fields(header: Sequence[str], kind: str) -> tuple[str, ...]:
    """The fields no header cell names (for the mapping page to list before asking)."""
    try:
        return match_headers(header, fields=KIND_FIELDS[kind]).missing
    except FileRejected:
        return KIND_FIELDS[kind]


def _header_matches(path: Path, sniffed: Sniffed, sheet: str, file_name: str, kind: str) -> bool:
    try:
        _row, header = read_header(path, sniffed, sheet, file_name=file_name)
        return match_headers(header, fields=KIND_FIELDS[kind]).complete
    except FileRejected:
        return False  # an empty or unreadable sheet is simply not the one


def read_header(path: Path, sniffed: Sniffed, sheet: str | None, *, file_name: str) -> tuple[int, list[str]]:
    rows = _rows(path, sniffed, sheet, file_name)
    try:
        header_row, header, _rest = split_header(rows, file_name=file_name)
    finally:
        rows.close()
    return header_row, header


def choose_mapping(
    header: Sequence[str], kind: str, remembered: Iterable[Mapping[str, str]]
) -> tuple[HeaderMatch, dict[str, str] | None]:
    """The header matched as it is, else with the first remembered mapping that makes it complete."""
    fields = KIND_FIELDS[kind]
    plain = match_headers(header, fields=fields)
    if plain.complete:
        return plain, None
    if sum(1 for text in header if text.strip()) < len(fields):
        # Fewer columns than fields: no mapping can complete it, so the missing names are said at once.
        raise FileRejected(Reason.BAD_HEADER, MISSING_COLUMNS, details=plain.missing)
    for mapping in remembered:
        usable = {text: name for text, name in mapping.items() if name in fields}
        try:
            matched = match_headers(header, fields=fields, mapping=usable)
        except FileRejected:
            continue
        if matched.complete:
            return matched, usable
    raise NeedsMapping(list(header), plain)


Record = tuple[int, dict[str, str]]


def _undo_export_apostrophe(records: Iterable[Record], line_breaks: list[int]) -> Iterator[Record]:
    """Our own error report prefixes a formula-like cell with `'`; a fixed report read back drops it again,
    so "+502 3000 1234" survives the round trip (a real formula is still refused by the validators).

    Rows with a line break inside a free-text cell are noted in `line_breaks`: the validators send it as a
    space, and the dry run says so."""
    for row_number, values in records:
        for name, value in values.items():
            if value[:2] in _EXPORT_TRIGGERS:
                values[name] = value[1:]
        for name in _LINE_BREAK_FIELDS:
            text = values.get(name)
            if text and ("\n" in text or "\r" in text) and (text.strip() != " ".join(text.split())):
                line_breaks.append(row_number)
                break
        yield row_number, values


def check_file(
    path: Path,
    *,
    kind: str,
    file_name: str,
    sheet: str | None,
    mapping: Mapping[str, str] | None,
    known: KnownDigests,
    secret: bytes,
    region: str = DEFAULT_REGION,
    free_cards: FreeCards | None = None,
) -> CheckResult:
    """The whole dry run; FileRejected for a file that cannot be used as a whole.

    `free_cards` is how the CMS is asked which card ids are free; None when it cannot be asked."""
    fields = KIND_FIELDS[kind]
    line_breaks: list[int] = []
    with path.open("rb") as stream:
        table = read_table(
            stream, file_name=file_name, max_bytes=MAX_FILE_BYTES, fields=fields, mapping=mapping, sheet=sheet
        )
        records = _undo_export_apostrophe(table.records, line_breaks)
        if kind == "users":
            report = dry_run(records, region=region)
            accepted = Accepted([(row, payload) for row, payload in _user_payloads(report)])
        else:
            report, accepted = _check_cards(records)
    result = CheckResult(
        kind=kind,
        sniffed=table.sniffed,
        sheet=sheet,
        extra_columns=table.header.extra,
        issues=report.issues,
        accepted=accepted,
        **report.counts(),
    )
    _against_earlier_uploads(result, known, secret)
    _against_free_cards(result, free_cards)
    if line_breaks:
        result.notices.append(
            {"code": "line_breaks", "count": len(line_breaks), "rows": line_breaks[:LINE_BREAK_ROWS_KEPT]}
        )
    result.issues.sort(key=lambda issue: issue.row)
    return result


def _user_payloads(report: DryRunReport) -> Iterator[tuple[int, Payload]]:
    for index, payload in enumerate(report.valid_rows.payload_rows()):
        yield report.valid_rows.source_row(index), payload


def _check_cards(records: Iterable[tuple[int, Mapping[str, str]]]) -> tuple[DryRunReport, Accepted]:
    report = DryRunReport()
    accepted = Accepted()
    first_card: dict[int, int] = {}
    for row_number, raw in records:
        report.total += 1
        problems: dict[str, str] = {}
        document_type: str | None = None
        card_id = 0
        try:
            document_type = clean_document_type(raw.get("documentType", ""))
        except FieldInvalid as error:
            problems["documentType"] = error.message
        try:
            document_number = clean_document_number(raw.get("documentNumber", ""), document_type)
        except FieldInvalid as error:
            problems["documentNumber"] = error.message
        try:
            card_id = clean_card_id(raw.get("cardId", ""))
        except FieldInvalid as error:
            problems["cardId"] = error.message
        if problems:
            report.invalid += 1
            for name in CARD_FIELDS:
                if name in problems:
                    report.issues.append(
                        Issue(row_number, name, problems[name], mask_value(name, raw.get(name, "")))
                    )
            continue
        if card_id in first_card:
            report.duplicate += 1
            report.issues.append(
                Issue(row_number, "cardId", DUPLICATE_IN_FILE, str(card_id), first_card[card_id])
            )
            continue
        first_card[card_id] = row_number
        assert document_type is not None
        accepted.rows.append((row_number, (document_type, document_number, card_id)))
    report.valid = len(accepted)
    return report, accepted


def _against_earlier_uploads(result: CheckResult, known: KnownDigests, secret: bytes) -> None:
    """Valid rows whose keys an earlier upload already sent become duplicates (counted and reported)."""
    wanted: dict[str, list[tuple[int, str, str]]] = {}
    for row_number, payload in result.accepted:
        for name, value in payload_keys(result.kind, payload):
            wanted.setdefault(key_digest(secret, name, value), []).append((row_number, name, value))
    if not wanted:
        return
    taken = known(wanted.keys())
    if not taken:
        return
    hits: dict[int, list[tuple[str, str]]] = {}
    for digest in taken:
        for row_number, name, value in wanted.get(digest, []):
            hits.setdefault(row_number, []).append((name, value))
    result.accepted.rows = [(row, payload) for row, payload in result.accepted if row not in hits]
    for row_number, found in hits.items():
        for name, value in sorted(found):
            result.issues.append(Issue(row_number, name, ALREADY_UPLOADED, mask_value(name, value)))
    result.valid -= len(hits)
    result.duplicate += len(hits)


def _against_free_cards(result: CheckResult, free_cards: FreeCards | None) -> None:
    """Valid rows whose card is not a free card of the partner become invalid, as the send would make them
    (8014); when the CMS cannot tell, the result says that only the CMS can make this check."""
    if not len(result.accepted):
        return
    if free_cards is None:
        result.notices.append({"code": "cards_unchecked", "reason": "unavailable"})
        return
    card_index = KIND_FIELDS[result.kind].index("cardId")
    wanted = {int(payload[card_index]) for _row, payload in result.accepted}
    try:
        free = free_cards(wanted)
    except CardsUnknown as unknown:
        result.notices.append({"code": "cards_unchecked", "reason": unknown.reason})
        return
    kept: list[tuple[int, Payload]] = []
    for row_number, payload in result.accepted:
        card_id = int(payload[card_index])
        if card_id in free:
            kept.append((row_number, payload))
        else:
            result.issues.append(
                Issue(row_number, "cardId", CARD_NOT_FREE, mask_value("cardId", str(card_id)))
            )
    taken = len(result.accepted) - len(kept)
    result.accepted.rows = kept
    result.valid -= taken
    result.invalid += taken
    result.notices.append({"code": "cards_checked"})
