"""The cardholder rules the console enforces before anything reaches the API (ASSUMPTIONS.md §4, #12).

One validator per documented field. Each takes the raw text an operator typed or a file cell held and returns
the normalised value, or raises `FieldInvalid` with an English message that is also the translation key. The
rules are the upstream's, sometimes a little stricter (ASCII digits, a real e-mail shape, no formula triggers,
no control characters): whatever passes here must pass the API, never the other way round.

Messages never repeat the value: they end up in upload reports and logs.
Pure Python on purpose (no Flask): bulk dry runs call `validate_cardholder` 100,000 times in a row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Final, NamedTuple

from webapp.cardholders import phones

# The documented fields, value lists and limits, kept apart from the rules (and importable from here).
from webapp.cardholders.vocabulary import (
    ADDRESS_MAX,
    CARD_ID_MAX,
    COUNTRIES,
    DOCUMENT_TYPES,
    EMAIL_MAX,
    FIELDS,
    GENDERS,
    MARITAL_STATUSES,
    MAX_AGE,
    MIN_AGE,
    NAME_MAX,
)
from webapp.translatable import N_

# The messages, one constant each so that they can be translated and compared in tests.
REQUIRED: Final = N_("This field is required.")
TOO_LONG_100: Final = N_("Use at most 100 characters.")
TOO_LONG_200: Final = N_("Use at most 200 characters.")
TOO_LONG_EMAIL: Final = N_("Use at most 254 characters.")
FORMULA: Final = N_("Starts with a formula character (=, +, - or @).")
CONTROL_CHARACTERS: Final = N_("Contains characters that are not allowed.")
COUNTRY: Final = N_("Use a two-letter ISO 3166-1 country code, e.g. GT.")
DATE_FORMAT: Final = N_("Use the format YYYY-MM-DD.")
DATE_NOT_REAL: Final = N_("This date does not exist.")
AGE_RANGE: Final = N_("The cardholder must be between 18 and 120 years old.")
MARITAL_STATUS: Final = N_("Choose one of: soltero, casado, viudo, divorciado, separado.")
GENDER: Final = N_("Choose one of: F, M, OTHER.")
# The phone's messages are phones.CHARACTERS, UNKNOWN_COUNTRY_CODE and NOT_VALID_FOR_REGION (filled in).
EMAIL: Final = N_("Enter a valid email address.")
DOCUMENT_TYPE: Final = N_("Choose one of: DPI, NIT, PASSPORT, LEGAL_ID, PERSONAL_ID, RESIDENCE_ID.")
DPI_NUMBER: Final = N_("A DPI number has 13 digits.")
NIT_NUMBER: Final = N_("A NIT has 2 to 12 digits, optionally ending in K.")
OTHER_DOCUMENT_NUMBER: Final = N_("Use 5 to 20 letters or digits.")
ANY_DOCUMENT_NUMBER: Final = N_("Use 2 to 20 letters or digits.")
CARD_ID: Final = N_("Use a positive whole number.")

_FORMULA_TRIGGERS: Final = ("=", "+", "-", "@")
_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATE_LENGTH: Final = len("YYYY-MM-DD")
# ASCII local part and domain labels, a letters-only top-level domain: a subset of what the API accepts.
_EMAIL: Final = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}")
_DOCUMENT_SEPARATORS: Final = re.compile(r"[\s\-]+")
_DPI: Final = re.compile(r"[0-9]{13}")
_NIT: Final = re.compile(r"[0-9]{2,12}K?")
_OTHER_DOCUMENT: Final = re.compile(r"[A-Z0-9]{5,20}")
_ANY_DOCUMENT: Final = re.compile(r"[A-Z0-9]{2,20}")
_ENUM_SEPARATORS: Final = re.compile(r"[\s\-]+")
_DOCUMENT_SHAPES: Final = dict.fromkeys(DOCUMENT_TYPES, _OTHER_DOCUMENT) | {"DPI": _DPI, "NIT": _NIT}

# Canonical spelling by lookup key; the exact spelling is tried first, the normalised key only if needed.
_MARITAL_BY_KEY: Final = {status: status for status in MARITAL_STATUSES}
_GENDER_BY_KEY: Final = {gender: gender for gender in GENDERS}
_DOCUMENT_TYPE_BY_KEY: Final = {kind: kind for kind in DOCUMENT_TYPES}


class FieldInvalid(ValueError):
    """A field failed its rule; `message` is one of the constants above."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NewCardholder(NamedTuple):
    """A cardholder ready for `POST /partners/{partnerId}/cardholders`, every value normalised.

    A NamedTuple rather than a frozen dataclass: it is built once per row of a 100,000-row file, and a
    tuple is built several times faster. The field names are the API's, so payloads need no mapping.
    """

    name: str
    lastName: str
    address: str
    countryOfBirth: str
    dateOfBirth: str
    maritalStatus: str
    gender: str
    phoneNumber: str
    email: str
    documentType: str
    documentNumber: str
    cardId: int

    def as_payload(self) -> dict[str, str | int]:
        """The JSON body of the create call, fields in the documented order."""
        return dict(zip(FIELDS, self, strict=True))

    def as_texts(self) -> dict[str, str]:
        """The values as text, as a form or a file would hold them; they validate back to this record."""
        return {field: str(value) for field, value in zip(FIELDS, self, strict=True)}


# What NamedTuple's own `_make` uses: builds the record without the Python-level `__new__` wrapper, which
# costs a third of a microsecond per row. Only for the exactly-twelve-value tuple built below.
_new_cardholder: Final = tuple.__new__


def today_utc() -> date:
    """The upstream judges ages by its own (UTC) calendar day, so the console does too."""
    return datetime.now(UTC).date()


def _free_text(raw: str, limit: int, too_long: str) -> str:
    # split() both trims and collapses every inner run of whitespace, line breaks included.
    text = " ".join(raw.split())
    if not text:
        raise FieldInvalid(REQUIRED)
    if not text.isprintable():
        # Control and format characters (bidirectional overrides can disguise text on screen), lone
        # surrogates, unassigned code points: none belongs in a name or an address.
        raise FieldInvalid(CONTROL_CHARACTERS)
    if text.startswith(_FORMULA_TRIGGERS):
        raise FieldInvalid(FORMULA)
    if len(text) > limit:
        raise FieldInvalid(too_long)
    return text


def clean_name(raw: str) -> str:
    return _free_text(raw, NAME_MAX, TOO_LONG_100)


def clean_last_name(raw: str) -> str:
    return _free_text(raw, NAME_MAX, TOO_LONG_100)


def clean_address(raw: str) -> str:
    return _free_text(raw, ADDRESS_MAX, TOO_LONG_200)


def clean_country(raw: str) -> str:
    code = raw.strip().upper()
    if code in COUNTRIES:
        return code
    raise FieldInvalid(COUNTRY if code else REQUIRED)


def age_on(born: date, on: date) -> int:
    """Whole years completed on `on`."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def clean_date_of_birth(raw: str, *, today: date | None = None) -> str:
    """Only `YYYY-MM-DD`: `03/04/1990` is ambiguous between countries, so it is refused, not guessed."""
    text = raw.strip()
    problem = _birth_date_problem(text, today or today_utc())
    if problem:
        raise FieldInvalid(problem)
    return text


def _birth_date_problem(text: str, today: date) -> str | None:
    if len(text) != _DATE_LENGTH:
        return DATE_FORMAT if text else REQUIRED
    return _ten_character_date_problem(text, today)


@lru_cache(maxsize=65_536)
def _ten_character_date_problem(text: str, today: date) -> str | None:
    # Cached: a file of 100,000 people holds a few thousand distinct birth dates. Only 10-character texts
    # get here, so the cache stays small whatever a file holds.
    match = _DATE.fullmatch(text)
    if match is None:
        return DATE_FORMAT
    try:
        born = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return DATE_NOT_REAL
    if not MIN_AGE <= age_on(born, today) <= MAX_AGE:
        return AGE_RANGE
    return None


def _enum(raw: str, by_key: Mapping[str, str], message: str, *, upper: bool) -> str:
    text = raw.strip()
    found = by_key.get(text)
    if found is not None:
        return found
    if not text:
        raise FieldInvalid(REQUIRED)
    key = text.upper() if upper else text.lower()
    found = by_key.get(key)
    if found is None and upper:
        # "legal id", "Legal-ID" → LEGAL_ID: the only reading there is.
        found = by_key.get(_ENUM_SEPARATORS.sub("_", key))
    if found is None:
        raise FieldInvalid(message)
    return found


def clean_marital_status(raw: str) -> str:
    return _enum(raw, _MARITAL_BY_KEY, MARITAL_STATUS, upper=False)


def clean_gender(raw: str) -> str:
    return _enum(raw, _GENDER_BY_KEY, GENDER, upper=True)


def clean_document_type(raw: str) -> str:
    return _enum(raw, _DOCUMENT_TYPE_BY_KEY, DOCUMENT_TYPE, upper=True)


def clean_phone_number(raw: str, region: str = phones.DEFAULT_REGION) -> str:
    """The stored form, digits with the country code: "+502 3000-1234", "3000 1234" → "50230001234".

    A number without "+" is read as one of `region` (the PHONE_REGION setting). The sandbox calls this too,
    so what the console accepts the sandbox accepts. A leading "+" is notation here, not a formula: the
    value stored is digits only.
    """
    text = raw.strip()
    if not text:
        raise FieldInvalid(REQUIRED)
    try:
        return phones.normalise(text, region)
    except phones.PhoneInvalid as problem:
        raise FieldInvalid(problem.message) from None


def message_text(message: str, gettext: Callable[..., str]) -> str:
    """A rule message in the reader's language. Only the phone's region message carries a value, and it
    travels filled in (upload reports store it so), so it is matched back to its key here."""
    key, values = phones.explain(message)
    return gettext(key, **values)


def clean_email(raw: str) -> str:
    """Trimmed; the domain is lower-cased (it is case-insensitive), the local part is kept as typed."""
    text = raw.strip()
    if not text:
        raise FieldInvalid(REQUIRED)
    if text.startswith(_FORMULA_TRIGGERS):
        raise FieldInvalid(FORMULA)
    if len(text) > EMAIL_MAX:
        raise FieldInvalid(TOO_LONG_EMAIL)
    if not _EMAIL.fullmatch(text):
        raise FieldInvalid(EMAIL)
    local, _, domain = text.rpartition("@")
    return text if domain.islower() else f"{local}@{domain.lower()}"


def clean_document_number(raw: str, document_type: str | None) -> str:
    """Spaces and dashes dropped, letters upper-cased; the shape depends on the (already clean) type.

    With an unknown type only a loose shape is checked: the type's own message says what to fix first.
    """
    text = raw.strip()
    if not text:
        raise FieldInvalid(REQUIRED)
    fast = _DOCUMENT_SHAPES.get(document_type or "")
    if fast is not None and fast.fullmatch(text):
        return text  # already clean: the common case, spared the substitution below
    text = _DOCUMENT_SEPARATORS.sub("", text).upper()
    if document_type == "DPI":
        if not _DPI.fullmatch(text):
            raise FieldInvalid(DPI_NUMBER)
    elif document_type == "NIT":
        if not _NIT.fullmatch(text):
            raise FieldInvalid(NIT_NUMBER)
    elif document_type in DOCUMENT_TYPES:
        if not _OTHER_DOCUMENT.fullmatch(text):
            raise FieldInvalid(OTHER_DOCUMENT_NUMBER)
    elif not _ANY_DOCUMENT.fullmatch(text):
        raise FieldInvalid(ANY_DOCUMENT_NUMBER)
    return text


def clean_card_id(raw: str) -> int:
    text = raw.strip()
    # isascii() first: isdigit() alone accepts "²" and other digits that int() refuses.
    if not (text.isascii() and text.isdigit() and len(text) <= 16):
        raise FieldInvalid(CARD_ID if text else REQUIRED)
    number = int(text)
    if not 0 < number <= CARD_ID_MAX:
        raise FieldInvalid(CARD_ID)
    return number


# The validators that need nothing but their own text, in field order (cardId, the one number, apart).
TEXT_VALIDATORS: Final[Mapping[str, Callable[[str], str]]] = {
    "name": clean_name,
    "lastName": clean_last_name,
    "address": clean_address,
    "countryOfBirth": clean_country,
    "maritalStatus": clean_marital_status,
    "gender": clean_gender,
    "phoneNumber": clean_phone_number,
    "email": clean_email,
    "documentType": clean_document_type,
}
_TEXT_VALIDATOR_ITEMS: Final = tuple(TEXT_VALIDATORS.items())


def validate_cardholder(
    raw: Mapping[str, str], *, today: date | None = None, region: str = phones.DEFAULT_REGION
) -> tuple[NewCardholder | None, dict[str, str]]:
    """Every field checked (all problems at once, not the first): the record, or the problems by field.

    Total: any mapping of strings gives an answer, never an exception. Missing keys count as empty.
    Pass `today` when validating many rows, so that all of them are judged against the same day; `region`
    is the one a phone without "+" belongs to.
    """
    judged_on = today or today_utc()
    try:
        # Fast path, for the usual valid row of strings: one expression, no bookkeeping. Any problem (or a
        # value that is not a string) falls through to the full pass, which collects every problem.
        # The canonical spellings are looked up directly; only other spellings pay for a cleaner call.
        born = raw["dateOfBirth"].strip()
        if len(born) == _DATE_LENGTH and _ten_character_date_problem(born, judged_on) is None:
            kind = raw["documentType"]
            document_type = _DOCUMENT_TYPE_BY_KEY.get(kind) or clean_document_type(kind)
            country, marital, gender = raw["countryOfBirth"], raw["maritalStatus"], raw["gender"]
            return (
                _new_cardholder(
                    NewCardholder,
                    (
                        _free_text(raw["name"], NAME_MAX, TOO_LONG_100),
                        _free_text(raw["lastName"], NAME_MAX, TOO_LONG_100),
                        _free_text(raw["address"], ADDRESS_MAX, TOO_LONG_200),
                        country if country in COUNTRIES else clean_country(country),
                        born,
                        _MARITAL_BY_KEY.get(marital) or clean_marital_status(marital),
                        _GENDER_BY_KEY.get(gender) or clean_gender(gender),
                        clean_phone_number(raw["phoneNumber"], region),
                        clean_email(raw["email"]),
                        document_type,
                        clean_document_number(raw["documentNumber"], document_type),
                        clean_card_id(raw["cardId"]),
                    ),
                ),
                {},
            )
    except (FieldInvalid, KeyError, AttributeError, TypeError):
        pass
    return None, _all_problems(raw, judged_on, region)


def _all_problems(raw: Mapping[str, str], today: date, region: str) -> dict[str, str]:
    """The slow path: every field checked on its own, missing or non-text values counting as empty."""
    get = raw.get
    problems: dict[str, str] = {}
    document_type: str | None = None
    for field, validator in _TEXT_VALIDATOR_ITEMS:
        value = get(field)
        text = value if type(value) is str else ""
        try:
            cleaned = clean_phone_number(text, region) if field == "phoneNumber" else validator(text)
        except FieldInvalid as error:
            problems[field] = error.message
        else:
            if field == "documentType":
                document_type = cleaned
    born = get("dateOfBirth")
    born_problem = _birth_date_problem(born.strip() if type(born) is str else "", today)
    if born_problem:
        problems["dateOfBirth"] = born_problem
    number = get("documentNumber")
    try:
        clean_document_number(number if type(number) is str else "", document_type)
    except FieldInvalid as error:
        problems["documentNumber"] = error.message
    card = get("cardId")
    try:
        clean_card_id(card if type(card) is str else "")
    except FieldInvalid as error:
        problems["cardId"] = error.message
    if not problems:
        # Unreachable while both paths apply the same validators; kept so a divergence cannot pass silently.
        raise AssertionError("a row failed the fast path but shows no problem")
    return problems


def field_problems(
    raw: Mapping[str, str], *, today: date | None = None, region: str = phones.DEFAULT_REGION
) -> dict[str, str]:
    """Only the problems, in the documented field order (for forms and reports)."""
    _, problems = validate_cardholder(raw, today=today, region=region)
    return {field: problems[field] for field in FIELDS if field in problems}
