"""Phones as people say them: the stored form, the messages, the search's reading, and the short path that
must read every number exactly as libphonenumber's own `parse` does."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumber, PhoneNumberType

from webapp.cardholders import phones

# Regions the short path serves (no national prefix) and some it leaves to `parse` (prefixes, shared codes).
REGIONS = ("GT", "SV", "HN", "CR", "PA", "NO", "DK", "US", "CA", "MX", "GB", "DE", "IT", "BR", "AR")


def outcome(text: str, region: str) -> str:
    try:
        return phones.normalise(text, region)
    except phones.PhoneInvalid as problem:
        return "! " + problem.message


def reference(text: str, region: str) -> str:
    """The same question answered by the library's full `parse` alone (the uncached function)."""
    if len(text.strip()) > 40 or not phones.looks_like_phone(text.strip()):
        return "! " + phones.CHARACTERS
    found, problem = phones._parsed.__wrapped__(text.strip(), region)
    return found or "! " + problem


@pytest.mark.parametrize(
    ("spoken", "stored"),
    [
        ("+502 5550 1234", "50255501234"),
        ("5550-1234", "50255501234"),
        ("(502) 55501234", "50255501234"),
        ("50255501234", "50255501234"),
        (" 5550 1234 ", "50255501234"),
        ("502.5550.1234", "50255501234"),
        ("2234-5678", "50222345678"),  # a landline
        ("+1 (415) 555-2671", "14155552671"),  # another country, with its code
        ("+44 20 7946 0958", "442079460958"),
    ],
)
def test_spoken_forms_become_the_stored_form(spoken: str, stored: str) -> None:
    assert phones.normalise(spoken) == stored


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("5550 123", "Not a valid phone number for GT."),  # a digit short
        ("2034 5678", "Not a valid phone number for GT."),  # no Guatemalan number starts 20
        ("1234567890123456", "Not a valid phone number for GT."),
        ("+1 555 010 0000", "Not a valid phone number for US."),  # the country the code names
        ("+999 5550 1234", phones.UNKNOWN_COUNTRY_CODE),
        ("5550 1234 ext 5", phones.CHARACTERS),
        ("=5550 1234", phones.CHARACTERS),
        ("5550+1234", phones.CHARACTERS),
        ("５５５０１２３４", phones.CHARACTERS),  # fullwidth digits
        ("+", phones.CHARACTERS),
        ("1" * 41, phones.CHARACTERS),
    ],
)
def test_what_is_refused_says_why(raw: str, message: str) -> None:
    with pytest.raises(phones.PhoneInvalid) as caught:
        phones.normalise(raw)
    assert caught.value.message == message
    assert raw.strip("=+") not in message or not raw.strip("=+")  # never the value itself


def test_the_region_decides_what_a_number_without_plus_means() -> None:
    assert phones.normalise("415 555 2671", "US") == "14155552671"
    assert outcome("415 555 2671", "GT") == "! Not a valid phone number for GT."
    assert outcome("5550 1234", "US") == "! Not a valid phone number for US."
    assert phones.normalise("+502 5550 1234", "US") == "50255501234"  # "+" wins over the region


def test_the_filled_in_message_finds_its_translation() -> None:
    from babel.messages.pofile import read_po

    from webapp import ROOT

    po = ROOT / "webapp" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        spanish = read_po(handle)
    key, values = phones.explain("Not a valid phone number for GT.")
    assert (key, values) == (phones.NOT_VALID_FOR_REGION, {"region": "GT"})
    assert spanish[key].string % values == "No es un número de teléfono válido para GT."
    assert phones.explain(phones.UNKNOWN_COUNTRY_CODE) == (phones.UNKNOWN_COUNTRY_CODE, {})
    for message in (phones.CHARACTERS, phones.UNKNOWN_COUNTRY_CODE, phones.NOT_VALID_FOR_REGION):
        entry = spanish.get(message)
        assert entry is not None
        assert entry.string


@pytest.mark.parametrize(
    ("query", "sent"),
    [
        ("+502 5550 1234", "50255501234"),
        ("5550-1234", "50255501234"),
        ("(502) 55501234", "50255501234"),
        ("5550-12", "555012"),  # part of a number: its digits
        ("+502 5550", "5025550"),
        ("2456 78901 0101", "2456789010101"),  # a DPI written in groups
        ("ana.lopez@example.com", "ana.lopez@example.com"),
        ("Tzoc", "Tzoc"),
        ("1234567890123", "1234567890123"),
    ],
)
def test_the_search_reads_phones_as_people_say_them(query: str, sent: str) -> None:
    assert phones.search_form(query) == sent


# -- the short path against the library ---------------------------------------------------------------------


@st.composite
def numbers_near_real_ones(draw: st.DrawFn) -> tuple[str, str]:
    """(text, region): a real example number of some region with its last digits redrawn, written with or
    without its country code, "+", brackets and separators; often valid, often not, sometimes too short."""
    region = draw(st.sampled_from(REGIONS))
    kind = draw(
        st.sampled_from([PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE])
    )
    example = phonenumbers.example_number_for_type(region, kind) or phonenumbers.example_number(region)
    assert example is not None
    national = phonenumbers.national_significant_number(example)
    keep = draw(st.integers(min_value=0, max_value=len(national)))
    size = len(national) - keep + draw(st.sampled_from([0, 0, 0, 0, 0, -1, 1, 2]))
    tail = draw(st.text("0123456789", min_size=max(size, 0), max_size=max(size, 0)))
    digits = national[:keep] + tail
    code = str(example.country_code)
    lead = draw(st.sampled_from(["", code, "+" + code, "+" + code + " ", f"({code}) ", "00" + code]))
    if draw(st.booleans()) and len(digits) > 4:
        digits = f"{digits[:4]}{draw(st.sampled_from([' ', '-', '.']))}{digits[4:]}"
    return lead + digits, draw(st.sampled_from([region, "GT"]))


@settings(max_examples=600, deadline=None)
@given(numbers_near_real_ones())
def test_the_short_path_reads_numbers_as_parse_does(case: tuple[str, str]) -> None:
    text, region = case
    assert outcome(text, region) == reference(text, region)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\+?[0-9]{1,17}", fullmatch=True), st.sampled_from(REGIONS))
def test_the_short_path_reads_any_digits_as_parse_does(text: str, region: str) -> None:
    assert outcome(text, region) == reference(text, region)


def test_the_generated_numbers_reach_both_answers() -> None:
    """Guard for the property above: a strategy that made only invalid numbers would test little."""
    valid = invalid = short = 0

    @settings(max_examples=300, database=None, deadline=None)
    @given(numbers_near_real_ones())
    def count(case: tuple[str, str]) -> None:
        nonlocal valid, invalid, short
        if outcome(*case).startswith("!"):
            invalid += 1
        else:
            valid += 1
        text, region = case
        digits, known = text.translate(str.maketrans("", "", " ()-.")), phones._region(region)
        if known is not None and any(
            pattern.fullmatch(digits.lstrip("+"))
            for pattern in (known.with_code, known.without_code, known.after_plus)
        ):
            short += 1

    count()
    assert valid >= 60
    assert invalid >= 60
    assert short >= 30


SHORT_PATH_REGIONS = [code for code in sorted(phonenumbers.SUPPORTED_REGIONS) if phones._region(code)]


def test_the_default_region_has_the_short_path() -> None:
    assert "GT" in SHORT_PATH_REGIONS
    assert "US" not in SHORT_PATH_REGIONS  # the US has a national prefix, 1


@pytest.mark.parametrize("region", SHORT_PATH_REGIONS)
def test_the_short_path_never_accepts_what_the_library_refuses(region: str) -> None:
    """Every region's own example numbers, and their neighbours: where a short-path pattern matches, the
    library's `is_valid_number` says valid; where it does not, only `parse` answers (so a "no" is safe, but
    for this region's own valid numbers the pattern must say yes, or the short path would be no path)."""
    known = phones._region(region)
    assert known is not None
    examples = [phonenumbers.example_number_for_type(region, kind) for kind in PhoneNumberType.values()]
    nationals = {phonenumbers.national_significant_number(n) for n in examples if n is not None}
    candidates = {n[:-1] + d for n in nationals for d in "0123456789"} | {n + "1" for n in nationals}
    candidates |= {n[:-1] for n in nationals if len(n) > 2}
    for national in sorted(c for c in candidates if c and c[0] != "0"):
        number = PhoneNumber(country_code=int(known.prefix), national_number=int(national))
        assert bool(
            known.after_plus.fullmatch(known.prefix + national)
        ) == phonenumbers.is_valid_number_for_region(number, region), national
        if known.without_code.fullmatch(national) or known.with_code.fullmatch(known.prefix + national):
            assert phonenumbers.is_valid_number(number), national
