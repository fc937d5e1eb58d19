"""Phone numbers as people say them, read with libphonenumber (the `phonenumbers` package).

The API keeps a phone as digits with the country code and no "+" (`50255501234`; see
webapp/cms/contract/ASSUMPTIONS.md). Operators type "+502 5550 1234", "5550-1234" or "(502) 55501234";
`normalise` turns each into the stored form, reading a number without "+" as one of the default region (the
`PHONE_REGION` setting), and refuses what is not a real number. The forms, the bulk dry run, the search and
the sandbox all call it, so they cannot disagree about what a valid phone is.

Pure Python, no Flask: the dry run calls it once per row of a 100,000-row file. The library's `parse` costs
some 15 µs a number, most of the dry run's budget on its own, so a number of the default region's own
country code is first matched against patterns built once from the library's metadata (the same regular
expressions `is_valid_number` tries, well under a microsecond). Only where that match reads the number
exactly as `parse` would (a region without a national prefix, no leading zero, no international dialling
prefix) does it answer; anything else goes to `parse`, whose answers are cached per text.
tests/unit/cardholders/test_phones.py holds both paths to the same answers on generated numbers.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Final, NamedTuple

import phonenumbers
from phonenumbers import NumberParseException

from webapp.translatable import N_

DEFAULT_REGION: Final = "GT"
REGIONS: Final = frozenset(phonenumbers.SUPPORTED_REGIONS)

# The messages, English text being the translation key. The region one is kept filled in (see `explain`).
CHARACTERS: Final = N_("Use digits, spaces, dashes or brackets, and + before a country code.")
UNKNOWN_COUNTRY_CODE: Final = N_("Unknown country code.")
NOT_VALID_FOR_REGION: Final = N_("Not a valid phone number for %(region)s.")

# ASCII digits and the separators people write (dots too, as in "502.3000.1234"); "+" only in front.
_SPOKEN: Final = re.compile(r"\+?[0-9()\-.\s]*[0-9][0-9()\-.\s]*")
_SEPARATORS: Final = str.maketrans("", "", " ()-.\t\n\r\f\v")
_FILLED_REGION: Final = re.compile(r"Not a valid phone number for ([A-Z0-9]{2,3})\.")
# Beyond this a text is no phone whatever it holds; it also bounds what the cache below keeps.
_TEXT_MAX: Final = 40


class PhoneInvalid(ValueError):
    """Not a phone number; `message` is one of the constants above, the region filled in."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# The number types `is_valid_number` tries, in the library's own order (phonenumberutil._number_type_helper).
_TYPES: Final = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)

# The library's switch that keeps its compiled metadata patterns instead of recompiling through `re`'s
# bounded cache: `parse` and `is_valid_number` both get faster, and nothing else changes.
phonenumbers.enable_pattern_cache()


class _Region(NamedTuple):
    """The short path for one region: three patterns built once from the library's metadata, each matching
    digits the library would read as one valid number of this region (see `_region`)."""

    prefix: str  # the country code as text
    with_code: re.Pattern[str]  # digits, country code first, no "+": the stored form
    without_code: re.Pattern[str]  # the national number alone
    after_plus: re.Pattern[str]  # what follows a "+"


def _lengths(desc: object) -> frozenset[int]:
    # The library's own reading: no lengths listed means "any", and [-1] means "none" (no such numbers).
    return frozenset(getattr(desc, "possible_length", ()) or ())


@cache
def _region(code: str) -> _Region | None:
    """None where only `parse` can read a region's numbers: a national prefix to strip ("0" in Mexico,
    "1" in the US), or a country code the region shares and is not the main region of."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(code)
    general = getattr(getattr(metadata, "general_desc", None), "national_number_pattern", None)
    country_code = getattr(metadata, "country_code", None)
    if (
        metadata is None
        or country_code is None
        or not general
        or metadata.national_prefix is not None
        or metadata.national_prefix_for_parsing is not None
        or phonenumbers.region_code_for_country_code(country_code) != code
    ):
        return None
    # `is_valid_number` (phonenumberutil._number_type_helper): the general description matches, and so does
    # one of the number types, each within its possible lengths (none listed: the general ones).
    general_lengths = _lengths(metadata.general_desc) or frozenset(range(1, 18))
    by_length: dict[int, list[str]] = {}
    for name in _TYPES:
        desc = getattr(metadata, name, None)
        pattern = getattr(desc, "national_number_pattern", None)
        if pattern:
            for length in sorted((_lengths(desc) or general_lengths) & general_lengths):
                by_length.setdefault(length, []).append(f"(?:{pattern})")
    if not by_length:
        return None
    kinds = "|".join(f"(?=[0-9]{{{n}}}\\Z)(?:{'|'.join(p)})" for n, p in sorted(by_length.items()))
    # No leading zero: the library keeps those apart (Italy's numbers), so `parse` reads them.
    valid = f"(?!0)(?=(?:{general})\\Z)(?:{kinds})"
    prefix = str(country_code)
    dialling_out = metadata.international_prefix or "(?!)"
    return _Region(
        prefix=prefix,
        # Without "+", `parse` strips the country code only when the whole is not itself shaped like a
        # national number (phonenumberutil._maybe_extract_country_code; patterns there, no lengths).
        with_code=re.compile(f"(?!(?:{general})\\Z){prefix}{valid}"),
        # A national number that starts with the country code or the international prefix ("00") may be
        # read either way: those go to `parse`.
        without_code=re.compile(f"(?!{prefix})(?!(?:{dialling_out})){valid}"),
        # After "+" the country code is read first; codes are prefix-free, so it is this region's.
        after_plus=re.compile(f"{prefix}{valid}"),
    )


def normalise(raw: str, region: str = DEFAULT_REGION) -> str:
    """The stored form of `raw` (digits, country code first), or `PhoneInvalid` saying why not."""
    text = raw.strip()
    if len(text) > _TEXT_MAX:
        raise PhoneInvalid(CHARACTERS)
    known = _region(region)
    if text.isdigit() and text.isascii():  # the stored form, and what most files hold
        if known is not None:
            if known.with_code.fullmatch(text):
                return text
            if known.without_code.fullmatch(text):
                return known.prefix + text
    elif not _SPOKEN.fullmatch(text):
        raise PhoneInvalid(CHARACTERS)
    elif known is not None:
        digits = text.translate(_SEPARATORS)
        if digits[:1] == "+":
            if known.after_plus.fullmatch(digits, 1):
                return digits[1:]
        elif known.with_code.fullmatch(digits):
            return digits
        elif known.without_code.fullmatch(digits):
            return known.prefix + digits
    found, problem = _parsed(text, region)
    if problem:
        raise PhoneInvalid(problem)
    return found


@lru_cache(maxsize=8192)
def _parsed(text: str, region: str) -> tuple[str, str]:
    """(stored form, "") or ("", message), through the library's full `parse`. Kept per text: forms and the
    search ask for the same few numbers again, and a file repeats its office numbers."""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as error:
        if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            return "", UNKNOWN_COUNTRY_CODE if text.startswith("+") else _not_valid(region)
        return "", _not_valid(region)
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_country_code(number.country_code or 0)
        if where == phonenumbers.UNKNOWN_REGION:
            return "", UNKNOWN_COUNTRY_CODE
        return "", _not_valid(where if text.startswith("+") else region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:], ""


def _not_valid(region: str) -> str:
    return NOT_VALID_FOR_REGION % {"region": region}


def explain(message: str) -> tuple[str, dict[str, str]]:
    """A message as its translation key and values: the region message travels filled in (a form error, an
    upload report row), so it is matched back to its key here; any other message is its own key."""
    match = _FILLED_REGION.fullmatch(message)
    if match:
        return NOT_VALID_FOR_REGION, {"region": match[1]}
    return message, {}


def looks_like_phone(text: str) -> bool:
    """Digits with a phone's punctuation only: what the search reads as a phone rather than as free text."""
    return len(text) <= _TEXT_MAX and _SPOKEN.fullmatch(text) is not None


def search_form(text: str, region: str = DEFAULT_REGION) -> str:
    """What the list search sends upstream for `text`: a whole phone in its stored form, other phone-looking
    text without its separators (so "5550-12" still finds part of a number), anything else unchanged."""
    query = text.strip()
    if not looks_like_phone(query):
        return text
    try:
        return normalise(query, region)
    except PhoneInvalid:
        return query.translate(_SEPARATORS).lstrip("+")
