"""The dry run's predictions: counts, per-row issues, duplicates, masking, and the packed valid rows."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.files.builders import VALID_ROW, numbered_row, row
from webapp.cardholders import rules
from webapp.uploads.dry_run import (
    ALREADY_EXISTS,
    DUPLICATE_IN_FILE,
    DryRunReport,
    Issue,
    business_key,
    dry_run,
    mask_value,
)

TODAY = date(2026, 6, 15)


def _run(*rows: dict[str, str], **options: object) -> DryRunReport:
    numbered = [(number, raw) for number, raw in enumerate(rows, start=2)]
    return dry_run(numbered, today=TODAY, **options)  # type: ignore[arg-type]


def test_counts_and_problems_per_row_and_field() -> None:
    report = _run(
        numbered_row(1),
        numbered_row(2, dateOfBirth="30/08/1992", gender="X"),
        numbered_row(3),
    )
    assert (report.total, report.valid, report.invalid, report.duplicate) == (3, 2, 1, 0)
    assert report.issues == [
        Issue(3, "dateOfBirth", rules.DATE_FORMAT, "30/08/1992"),
        Issue(3, "gender", rules.GENDER, "X"),
    ]
    assert report.has_problems
    assert list(report.issues_by_row()) == [3]


def test_duplicates_inside_the_file_name_the_first_row() -> None:
    report = _run(
        numbered_row(1),
        numbered_row(2, documentNumber=numbered_row(1)["documentNumber"]),
        numbered_row(3, email=numbered_row(1)["email"].upper()),
        numbered_row(4, cardId="0" + numbered_row(1)["cardId"]),
        numbered_row(5),
    )
    assert (report.valid, report.duplicate) == (2, 3)
    assert [(i.row, i.field, i.message, i.first_row) for i in report.issues] == [
        (3, "documentNumber", DUPLICATE_IN_FILE, 2),
        (4, "email", DUPLICATE_IN_FILE, 2),
        (5, "cardId", DUPLICATE_IN_FILE, 2),
    ]


def test_only_rows_that_would_be_created_claim_their_keys() -> None:
    first = numbered_row(1, gender="?")  # invalid: upstream creates nothing, so its keys stay free
    clash = numbered_row(2, documentNumber=numbered_row(9)["documentNumber"])
    report = _run(
        first,
        numbered_row(1),  # same keys as the invalid row: valid
        numbered_row(9),
        clash,  # duplicate by document of the row above; its e-mail and card are not claimed
        numbered_row(3, email=clash["email"], cardId=clash["cardId"]),  # so this one is valid
    )
    assert (report.invalid, report.valid, report.duplicate) == (1, 3, 1)
    assert [(i.row, i.field, i.first_row) for i in report.issues if i.first_row] == [(5, "documentNumber", 4)]


def test_known_keys_are_matched_after_normalising() -> None:
    known = {"documentNumber": ["1000000000001"], "email": ["PERSON2@example.com "], "cardId": ["01003"]}
    report = _run(numbered_row(1), numbered_row(2), numbered_row(3), numbered_row(4), known_keys=known)
    assert (report.valid, report.duplicate) == (1, 3)
    assert {(i.row, i.field, i.message, i.first_row) for i in report.issues} == {
        (2, "documentNumber", ALREADY_EXISTS, None),
        (3, "email", ALREADY_EXISTS, None),
        (4, "cardId", ALREADY_EXISTS, None),
    }


def test_the_report_never_holds_raw_sensitive_values() -> None:
    document, email, phone = "2987654321012", "secret.person@example.com", "50255554444"
    report = _run(
        row(documentNumber=document, email=email, phoneNumber=phone),
        row(documentNumber=document, email=email, phoneNumber=phone),  # duplicate
        row(documentNumber=document + "9", email=email + "@", phoneNumber=phone + "x"),  # invalid
    )
    assert (report.valid, report.duplicate, report.invalid) == (1, 1, 1)
    shown = repr(report.issues)
    for secret in (document, email, phone, "secret.person"):
        assert secret not in shown


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("documentNumber", "1234567890101", "**********101"),
        ("documentNumber", "1234", "****"),
        ("phoneNumber", "50230001234", "*********34"),
        ("email", "ana.lopez@example.com", "a***@example.com"),
        ("email", "not-an-email", "n***********"),
        ("name", "Ana\x00María", "Ana?María"),
        ("address", "x" * 60, "x" * 39 + "…"),
    ],
)
def test_mask_value(field: str, value: str, shown: str) -> None:
    assert mask_value(field, value) == shown


def test_business_keys() -> None:
    assert business_key("documentNumber", "1234-56789 0101") == "1234567890101"
    assert business_key("email", " Ana@Example.COM ") == "ana@example.com"
    assert business_key("cardId", "0042") == "42"


def test_issues_are_capped_but_still_counted() -> None:
    report = _run(*[numbered_row(i, gender="?", maritalStatus="?") for i in range(10)], max_issues=5)
    assert report.invalid == 10
    assert len(report.issues) == 5
    assert report.issues_omitted == 15


def test_valid_rows_unpack_to_the_normalised_records_and_source_rows() -> None:
    report = _run(numbered_row(1, name="  Ana   María "), numbered_row(2, gender="?"), numbered_row(3))
    assert len(report.valid_rows) == 2
    assert [number for number, _ in report.valid_rows] == [2, 4]
    assert report.valid_rows.source_row(1) == 4
    first = next(iter(report.valid_rows))[1]
    assert first.name == "Ana María"
    assert first.cardId == 1001
    payload = list(report.valid_rows.payload_rows())
    assert payload[0] == first
    assert payload[1][-1] == 1003


def test_an_empty_file_predicts_nothing() -> None:
    report = _run()
    assert (report.total, report.valid, report.has_problems) == (0, 0, False)


def test_a_valid_row_is_valid() -> None:
    report = _run(dict(VALID_ROW))
    assert (report.valid, report.issues) == (1, [])


def test_upload_rows_map_back_to_the_operators_rows() -> None:
    report = _run(numbered_row(1, gender="?"), numbered_row(2), numbered_row(3))
    assert report.valid_rows.source_row_for_upload_row(2) == 3
    assert report.valid_rows.source_row_for_upload_row(3) == 4
    with pytest.raises(IndexError):
        report.valid_rows.source_row_for_upload_row(1)
