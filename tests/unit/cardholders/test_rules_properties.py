"""Properties of `validate_cardholder`: total, idempotent, and never more lenient than the sandbox's rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.cardholders import rules, vocabulary
from webapp.cardholders.rules import validate_cardholder
from webapp.sandbox import cardholder_rules as sandbox_rules

TODAY = sandbox_rules.today()  # the sandbox judges ages by its own clock; agree with it on the day


def _dressed(good: st.SearchStrategy[str], *, recase: bool = False) -> st.SearchStrategy[str]:
    """Good values the way operators type them: padded with blanks and, for codes, in any case."""
    cases: list[Callable[[str], str]] = [str, str.lower, str.upper] if recase else [str]
    return st.tuples(good, st.sampled_from(["", " ", "\t", "  "]), st.sampled_from(cases)).map(
        lambda t: t[1] + t[2](t[0]) + t[1]
    )


_LETTERS = "A-Za-zÁÉÍÓÚáéíóúñÑü"
_numbers_by_type = {
    "DPI": st.from_regex(r"[0-9]{4} ?[0-9]{5} ?[0-9]{4}", fullmatch=True),
    "NIT": st.from_regex(r"[0-9]{2,11}-?[0-9kK]", fullmatch=True),
}
_other_number = st.from_regex(r"[A-Za-z0-9]{5,20}", fullmatch=True)
_good = {
    "name": _dressed(st.from_regex(rf"[{_LETTERS}][{_LETTERS}' ]{{0,40}}", fullmatch=True)),
    "lastName": _dressed(st.from_regex(rf"[{_LETTERS}][{_LETTERS}' -]{{0,40}}", fullmatch=True)),
    "address": _dressed(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ,.#/-]{0,150}", fullmatch=True)),
    "countryOfBirth": _dressed(st.sampled_from(sorted(vocabulary.COUNTRIES)), recase=True),
    "dateOfBirth": _dressed(
        st.dates(min_value=date(TODAY.year - 119, 1, 1), max_value=date(TODAY.year - 19, 12, 31)).map(
            date.isoformat
        )
    ),
    "maritalStatus": _dressed(st.sampled_from(vocabulary.MARITAL_STATUSES), recase=True),
    "gender": _dressed(st.sampled_from(vocabulary.GENDERS), recase=True),
    # Guatemalan numbers (the default region) as people write them: mobiles start 3-5, landlines 2 then 2-9.
    "phoneNumber": _dressed(
        st.from_regex(r"(\+502 ?|\(502\) ?|502)?([3-5][0-9]|2[2-9])[0-9]{2}[ -]?[0-9]{4}", fullmatch=True)
    ),
    "email": _dressed(
        st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9._%+-]{0,11}@[a-zA-Z0-9-]{1,10}\.[a-zA-Z]{2,4}", fullmatch=True)
    ),
    "cardId": _dressed(st.integers(min_value=1, max_value=2**53 - 1).map(str)),
}
# What breaks a field: noise, and the edges where the console and the sandbox could disagree.
_breakers = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "=1+1",
            "-x",
            "@x",
            "+x",
            "x" * 101,
            "x" * 201,
            "XK",
            "gtm",
            "1992-02-30",
            "30/08/1992",
            "2030-01-01",
            "０１２３",
            "१२३४५६७८९",
            "1e3",
            "0",
            "-1",
            str(2**53),
            "a@b",
            "a b@c.de",
            "\u202eabc",
        ]
    ),
)


@st.composite
def near_valid_rows(draw: st.DrawFn) -> dict[str, str]:
    """Mostly valid rows with zero to three fields broken, the document number matching its type."""
    kind = draw(st.sampled_from([*vocabulary.DOCUMENT_TYPES, "legal id", "dpi"]))
    canonical = rules.clean_document_type(kind)
    row = {name: draw(strategy) for name, strategy in _good.items()}
    row["documentType"] = kind
    row["documentNumber"] = draw(_numbers_by_type.get(canonical, _other_number))
    for name in draw(st.sets(st.sampled_from(vocabulary.FIELDS), max_size=3)):
        row[name] = draw(_breakers)
    return row


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from([*vocabulary.FIELDS, "extra"]), st.text(), max_size=14))
def test_validate_cardholder_is_total_on_arbitrary_strings(raw: dict[str, str]) -> None:
    cardholder, problems = validate_cardholder(raw, today=TODAY)
    assert (cardholder is None) == bool(problems)
    assert set(problems) <= set(vocabulary.FIELDS)


@settings(max_examples=500)
@given(near_valid_rows())
def test_accepted_rows_revalidate_identically_and_pass_the_sandbox(raw: dict[str, str]) -> None:
    cardholder, problems = validate_cardholder(raw, today=TODAY)
    assert (cardholder is None) == bool(problems)
    if cardholder is None:
        return
    again, problems_again = validate_cardholder(cardholder.as_texts(), today=TODAY)
    assert problems_again == {}
    assert again == cardholder
    assert sandbox_rules.create_problems(cardholder.as_payload()) == {}


def test_the_property_strategy_reaches_accepted_rows() -> None:
    """Guard for the test above: a strategy that rarely made valid (or invalid) rows would test little."""
    accepted = rejected = 0

    @settings(max_examples=200, database=None)
    @given(near_valid_rows())
    def count(raw: dict[str, str]) -> None:
        nonlocal accepted, rejected
        if validate_cardholder(raw, today=TODAY)[0] is None:
            rejected += 1
        else:
            accepted += 1

    count()
    assert accepted >= 20
    assert rejected >= 20
