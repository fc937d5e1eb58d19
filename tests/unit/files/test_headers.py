"""Header matching, and the whole path from an uploaded file to records (`read_table`)."""

from __future__ import annotations

import io

import pytest

from tests.unit.files import builders
from webapp.cardholders.vocabulary import FIELDS
from webapp.files import read_table
from webapp.files.errors import FileRejected, Reason
from webapp.files.headers import header_key, match_headers, records, require_complete, split_header
from webapp.files.sniff import FileKind


@pytest.mark.parametrize(
    "header", ["lastName", "Last Name", "LASTNAME", "last_name", " last-name ", "Lást Ñame".replace("Ñ", "N")]
)
def test_header_variants_match_last_name(header: str) -> None:
    assert header_key(header) == header_key("lastName")


def test_accents_are_ignored() -> None:
    assert header_key("Dirécción") == header_key("direccion")


def test_the_documented_header_matches_completely() -> None:
    match = match_headers(list(FIELDS), fields=FIELDS)
    assert match.complete
    assert dict(match.columns) == {name: index for index, name in enumerate(FIELDS)}
    assert (match.extra, match.missing, match.duplicated) == ((), (), ())


def test_extra_columns_are_reported_and_missing_ones_named() -> None:
    header = ["Name", "Apellido", "Notes", "", "Card ID", "E-mail"]
    match = match_headers(header, fields=FIELDS)
    assert match.columns == {"name": 0, "cardId": 4, "email": 5}
    assert match.extra == ("Apellido", "Notes")
    assert set(match.missing) == set(FIELDS) - {"name", "cardId", "email"}
    with pytest.raises(FileRejected) as caught:
        require_complete(match, file_name="list.csv")
    assert caught.value.reason is Reason.BAD_HEADER
    assert caught.value.row == 1
    assert "lastName" in caught.value.details
    assert "lastName" in str(caught.value)


def test_an_explicit_mapping_takes_precedence() -> None:
    header = ["Nombre", "Apellido", *FIELDS[2:]]
    match = match_headers(header, fields=FIELDS, mapping={"Nombre": "name", "apellido": "lastName"})
    assert match.complete
    assert match.columns["lastName"] == 1


def test_a_mapping_to_an_unknown_field_is_refused() -> None:
    with pytest.raises(FileRejected) as caught:
        match_headers(["Nombre"], fields=FIELDS, mapping={"Nombre": "firstName"})
    assert (caught.value.reason, caught.value.details) == (Reason.BAD_MAPPING, ("firstName",))


def test_a_field_claimed_twice_is_refused() -> None:
    match = match_headers([*FIELDS, "E mail"], fields=FIELDS)
    assert match.duplicated == ("email",)
    with pytest.raises(FileRejected) as caught:
        require_complete(match)
    assert caught.value.details == ("email",)


def test_other_field_sets_serve_the_cards_upload() -> None:
    match = match_headers(
        ["Document Type", "document number", "CARDID"], fields=("documentType", "documentNumber", "cardId")
    )
    assert match.complete


def test_split_header_skips_leading_blank_rows() -> None:
    rows = iter([(1, []), (2, ["", " "]), (3, ["name"]), (4, ["Ana"])])
    number, header, rest = split_header(rows)
    assert (number, header, list(rest)) == (3, ["name"], [(4, ["Ana"])])


def test_a_file_without_a_header_is_refused() -> None:
    with pytest.raises(FileRejected) as caught:
        split_header(iter([(1, []), (2, [" "])]), file_name="blank.csv")
    assert caught.value.reason is Reason.NO_HEADER


def test_records_skip_blank_rows_and_pad_short_ones() -> None:
    match = match_headers(["email", "name"], fields=("name", "email"))
    rows = [(2, ["a@x.gt", "Ana"]), (3, ["", "  "]), (4, ["b@x.gt"]), (5, ["c@x.gt", "Eva", "extra"])]
    assert list(records(rows, match)) == [
        (2, {"name": "Ana", "email": "a@x.gt"}),
        (4, {"name": "", "email": "b@x.gt"}),
        (5, {"name": "Eva", "email": "c@x.gt"}),
    ]


def test_records_in_the_documented_order_ignore_extra_cells() -> None:
    match = match_headers(["name", "email", "notes"], fields=("name", "email"))
    assert list(records([(2, ["Ana", "a@x.gt", "vip"]), (3, ["Luis"])], match)) == [
        (2, {"name": "Ana", "email": "a@x.gt"}),
        (3, {"name": "Luis", "email": ""}),
    ]


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (builders.cardholder_csv([builders.VALID_ROW]), FileKind.CSV),
        (builders.cardholder_csv([builders.VALID_ROW], encoding="cp1252", delimiter=";"), FileKind.CSV),
        (builders.cardholder_csv([builders.VALID_ROW], bom=True), FileKind.CSV),
        (builders.cardholder_csv([builders.VALID_ROW], encoding="utf-16"), FileKind.CSV),
        (builders.cardholder_xlsx([builders.VALID_ROW]), FileKind.XLSX),
        (
            builders.xls_bytes([list(FIELDS), [builders.VALID_ROW[name] for name in FIELDS]]),
            FileKind.XLS,
        ),
    ],
    ids=["csv", "cp1252-semicolon", "csv-bom", "utf16", "xlsx", "xls"],
)
def test_read_table_gives_the_same_records_from_every_format(data: bytes, kind: FileKind) -> None:
    table = read_table(io.BytesIO(data), file_name="upload", max_bytes=16 * 1024 * 1024, fields=FIELDS)
    assert table.sniffed.kind is kind
    assert list(table.records) == [(2, builders.VALID_ROW)]


def test_read_table_refuses_a_bad_header_before_reading_rows() -> None:
    data = builders.csv_bytes([["nombre", "apellido"], ["Ana", "Núñez"]])
    with pytest.raises(FileRejected) as caught:
        read_table(io.BytesIO(data), file_name="lista.csv", max_bytes=1024, fields=FIELDS)
    assert caught.value.reason is Reason.BAD_HEADER
    assert caught.value.file_name == "lista.csv"


def test_read_table_can_insist_on_excel() -> None:
    data = builders.cardholder_csv([builders.VALID_ROW])
    with pytest.raises(FileRejected) as caught:
        read_table(
            io.BytesIO(data), file_name="x.csv", max_bytes=1024 * 1024, fields=FIELDS, allow_text=False
        )
    assert caught.value.reason is Reason.UNKNOWN_TYPE
