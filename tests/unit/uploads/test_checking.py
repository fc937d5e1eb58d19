"""The dry run of a staged file, on a corpus of nasty files built here, plus a fuzzer: the checker answers
rows or a clear refusal, never anything else."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.files.builders import (
    PNG_BYTES,
    billion_laughs_xlsx,
    cardholder_csv,
    cardholder_xlsx,
    csv_bytes,
    numbered_row,
    xlsx_bytes,
    zip_bomb_xlsx,
)
from webapp.cardholders.rules import FORMULA
from webapp.cardholders.vocabulary import FIELDS
from webapp.files.errors import FileProblem, FileRejected, Reason
from webapp.uploads.checking import (
    ALREADY_UPLOADED,
    CARD_FIELDS,
    CheckResult,
    NeedsMapping,
    NeedsSheet,
    check_file,
    choose_mapping,
    inspect,
    key_digest,
    read_header,
)
from webapp.uploads.dry_run import DUPLICATE_IN_FILE

SECRET = b"k" * 32


def nothing_known(_digests: object) -> set[str]:
    return set()


def check(
    tmp_path: Path, content: bytes, kind: str = "users", name: str = "f.csv", **kwargs: object
) -> CheckResult:
    path = tmp_path / "staged.bin"
    path.write_bytes(content)
    options: dict[str, object] = {"sheet": None, "mapping": None, "known": nothing_known, "secret": SECRET}
    options.update(kwargs)
    return check_file(path, kind=kind, file_name=name, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter"),
    [("utf-8", False, ","), ("utf-8", True, ";"), ("cp1252", False, ";"), ("utf-16", False, ",")],
)
def test_every_encoding_and_delimiter_reads_nunez_right(
    tmp_path: Path, encoding: str, bom: bool, delimiter: str
) -> None:
    rows = [numbered_row(i, lastName="Núñez") for i in range(3)]
    result = check(tmp_path, cardholder_csv(rows, encoding=encoding, bom=bom, delimiter=delimiter))
    assert (result.total, result.valid, result.invalid) == (3, 3, 0)
    assert all(payload[1] == "Núñez" for _row, payload in result.accepted)


def test_blank_lines_and_quoted_newlines_keep_row_numbers(tmp_path: Path) -> None:
    second = numbered_row(2, address="5a Avenida\n10-20")
    table = [list(FIELDS), [], list(numbered_row(1).values()), ["", "", "", ""], list(second.values())]
    result = check(tmp_path, csv_bytes(table))
    assert result.valid == 2
    assert [row for row, _ in result.accepted] == [3, 5]
    assert result.accepted.rows[1][1][2] == "5a Avenida 10-20"


def test_formula_cells_duplicates_and_masking(tmp_path: Path) -> None:
    rows = [
        numbered_row(1),
        numbered_row(2, name="=cmd|' /C calc'!A0"),
        numbered_row(3, email="person1@example.com"),
        numbered_row(4, address="@SUM(A1)"),
    ]
    result = check(tmp_path, cardholder_csv(rows))
    assert (result.valid, result.invalid, result.duplicate) == (1, 2, 1)
    by_row = {(issue.row, issue.field): issue for issue in result.issues}
    assert by_row[(3, "name")].message == FORMULA
    assert by_row[(5, "address")].message == FORMULA
    duplicate = by_row[(4, "email")]
    assert duplicate.message == DUPLICATE_IN_FILE
    assert duplicate.first_row == 2
    assert "person1@example.com" not in duplicate.shown


def test_rows_sent_before_become_duplicates(tmp_path: Path) -> None:
    rows = [numbered_row(i) for i in range(3)]
    taken = {key_digest(SECRET, "documentNumber", rows[1]["documentNumber"])}
    result = check(tmp_path, cardholder_csv(rows), known=lambda digests: set(digests) & taken)
    assert (result.valid, result.duplicate) == (2, 1)
    (issue,) = result.issues
    assert (issue.row, issue.message) == (3, ALREADY_UPLOADED)
    assert [row for row, _ in result.accepted] == [2, 4]


def test_digests_ignore_case_spaces_and_dashes_and_depend_on_the_secret() -> None:
    assert key_digest(SECRET, "email", "A@B.COM ") == key_digest(SECRET, "email", "a@b.com")
    assert key_digest(SECRET, "documentNumber", "1234 5678-90") == key_digest(
        SECRET, "documentNumber", "1234567890"
    )
    assert key_digest(SECRET, "email", "a@b.com") != key_digest(b"other", "email", "a@b.com")


def test_cards_file_checks_its_three_columns(tmp_path: Path) -> None:
    content = b"documentType,documentNumber,cardId\r\nDPI,1234567890101,7\r\nDPI,12,8\r\nNIT,1234567K,7\r\n"
    result = check(tmp_path, content, kind="cards")
    assert (result.total, result.valid, result.invalid, result.duplicate) == (3, 1, 1, 1)
    assert result.accepted.rows == [(2, ("DPI", "1234567890101", 7))]


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (PNG_BYTES, "altas.csv", Reason.NOT_TEXT),
        (zip_bomb_xlsx(), "altas.xlsx", Reason.ZIP_BOMB),
        (billion_laughs_xlsx(), "altas.xlsx", Reason.XML_BOMB),
        (b"", "empty.csv", Reason.EMPTY),
        (b"a" * (16 * 1024 * 1024 + 1), "huge.csv", Reason.TOO_LARGE),
        (b"<html><body><table></table></body></html>", "export.csv", Reason.MARKUP),
    ],
)
def test_hostile_files_are_refused_before_parsing(
    tmp_path: Path, content: bytes, name: str, reason: Reason
) -> None:
    path = tmp_path / "staged.bin"
    path.write_bytes(content)
    with pytest.raises(FileRejected) as refused:
        inspect(path, file_name=name, sheet=None)
    assert refused.value.reason is reason


def test_exactly_sixteen_megabytes_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "staged.bin"
    header = ",".join(FIELDS).encode() + b"\r\n"
    path.write_bytes(header + b" " * (16 * 1024 * 1024 - len(header)))
    sniffed, sheet = inspect(path, file_name="big.csv", sheet=None)
    assert sniffed.size == 16 * 1024 * 1024
    assert sheet is None


def test_workbooks_with_several_sheets_ask_which_one(tmp_path: Path) -> None:
    path = tmp_path / "staged.bin"
    path.write_bytes(xlsx_bytes([list(FIELDS)], sheet="Altas", more_sheets=["Notas"]))
    with pytest.raises(NeedsSheet) as asked:
        inspect(path, file_name="book.xlsx", sheet=None)
    assert asked.value.names == ["Altas", "Notas"]
    assert inspect(path, file_name="book.xlsx", sheet="Notas")[1] == "Notas"


def test_wrong_headers_need_a_mapping_and_a_remembered_one_is_used(tmp_path: Path) -> None:
    spanish = ["Tipo", "Número", "Tarjeta"]
    path = tmp_path / "staged.bin"
    path.write_bytes(xlsx_bytes([spanish, ["DPI", "1234567890101", 5]]))
    sniffed, sheet = inspect(path, file_name="t.xlsx", sheet=None)
    _row, header = read_header(path, sniffed, sheet, file_name="t.xlsx")
    with pytest.raises(NeedsMapping) as needs:
        choose_mapping(header, "cards", [])
    assert set(needs.value.match.missing) == set(CARD_FIELDS)
    remembered = {"tipo": "documentType", "numero": "documentNumber", "tarjeta": "cardId"}
    match, used = choose_mapping(header, "cards", [{"x": "name"}, remembered])
    assert match.complete
    assert used == remembered
    result = check(tmp_path, path.read_bytes(), kind="cards", name="t.xlsx", mapping=used)
    assert result.valid == 1


def test_our_own_error_report_reads_back_without_its_apostrophes(tmp_path: Path) -> None:
    row = numbered_row(1, phoneNumber="'+502 3000 1234", name="'=1+1")
    result = check(tmp_path, cardholder_xlsx([row], header=FIELDS), name="fixed.xlsx")
    assert result.invalid == 1
    assert [issue.field for issue in result.issues] == ["name"]  # the phone is fine again


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.binary(max_size=600),
        st.text(max_size=400).map(lambda text: (",".join(FIELDS) + "\r\n" + text).encode("utf-8", "replace")),
        st.text(alphabet=';,"\r\n =+-@aé1', max_size=300).map(lambda text: codecs.BOM_UTF8 + text.encode()),
    )
)
def test_the_checker_answers_rows_or_a_refusal_never_anything_else(tmp_path: Path, content: bytes) -> None:
    try:
        result = check(tmp_path, content)
    except (FileProblem, NeedsMapping):
        return
    assert result.total == result.valid + result.invalid + result.duplicate
    assert len(result.accepted) == result.valid


# -- issue 14: the dry run predicts the send -----------------------------------------------------------


def test_a_card_that_is_not_free_makes_its_row_invalid(tmp_path: Path) -> None:
    from webapp.uploads.checking import CARD_NOT_FREE

    asked: list[set[int]] = []

    def free(wanted: object) -> set[int]:
        asked.append(set(wanted))  # type: ignore[call-overload]
        return {1000}

    result = check(tmp_path, cardholder_csv([numbered_row(0), numbered_row(1)]), free_cards=free)
    assert asked == [{1000, 1001}]
    assert (result.valid, result.invalid) == (1, 1)
    assert [row for row, _payload in result.accepted] == [2]
    assert [(i.row, i.field, i.message) for i in result.issues] == [(3, "cardId", CARD_NOT_FREE)]
    assert result.notices == [{"code": "cards_checked"}]


def test_a_cards_file_is_checked_against_the_free_cards_too(tmp_path: Path) -> None:
    content = csv_bytes([list(CARD_FIELDS), ["DPI", "1234567890101", "77"]])
    result = check(tmp_path, content, kind="cards", free_cards=lambda wanted: set())
    assert (result.valid, result.invalid) == (0, 1)


def test_when_the_cms_cannot_tell_the_result_says_so(tmp_path: Path) -> None:
    from webapp.uploads.checking import CardsUnknown

    def cannot(_wanted: object) -> set[int]:
        raise CardsUnknown("forbidden")

    result = check(tmp_path, cardholder_csv([numbered_row(0)]), free_cards=cannot)
    assert result.valid == 1
    assert result.notices == [{"code": "cards_unchecked", "reason": "forbidden"}]


def test_line_breaks_inside_a_free_text_cell_are_announced(tmp_path: Path) -> None:
    rows = [
        numbered_row(0, address="5a Avenida\r\nZona 1"),
        numbered_row(1, name="Ana\n"),  # only at the end: trimmed, nothing changes inside
        numbered_row(2, lastName="Núñez\nPérez"),
    ]
    result = check(tmp_path, cardholder_csv(rows), free_cards=lambda wanted: set(wanted))
    assert {"code": "line_breaks", "count": 2, "rows": [2, 4]} in result.notices
    assert result.valid == 3


def test_the_one_sheet_whose_header_matches_is_picked(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(xlsx_bytes([list(FIELDS)], sheet="Altas", more_sheets=["Notas"]))
    assert inspect(path, file_name="book.xlsx", sheet=None, kind="users")[1] == "Altas"
    with pytest.raises(NeedsSheet):
        inspect(path, file_name="book.xlsx", sheet=None)  # no kind: nothing to match against, so ask


def test_a_header_with_fewer_columns_than_fields_names_the_missing_ones(tmp_path: Path) -> None:
    with pytest.raises(FileRejected) as refused:
        choose_mapping(["documentType", "cardId"], "cards", [])
    assert refused.value.details == ("documentNumber",)
