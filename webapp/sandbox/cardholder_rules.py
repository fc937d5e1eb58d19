"""The upstream's cardholder rules (ASSUMPTIONS.md §4, "Cardholder create"), as the sandbox enforces them.

Every check answers `{field: message}`; an empty dict means the input passes. Messages never repeat the
offending value, because these errors end up in logs and upload reports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from webapp.cardholders.rules import FieldInvalid, clean_phone_number
from webapp.cms.contract import load_contract

MARITAL_STATUSES = ("soltero", "casado", "viudo", "divorciado", "separado")
GENDERS = ("F", "M", "OTHER")
DOCUMENT_TYPES = ("DPI", "NIT", "PASSPORT", "LEGAL_ID", "PERSONAL_ID", "RESIDENCE_ID")

# The field lists are the contract's own (webapp/cms/contract/openapi.yaml), in its order: the sandbox
# refuses exactly what the documented schemas leave out.
_SCHEMAS = load_contract()["components"]["schemas"]
CREATE_FIELDS: tuple[str, ...] = tuple(_SCHEMAS["NewCardholder"]["properties"])
UPDATE_FIELDS: tuple[str, ...] = tuple(_SCHEMAS["CardholderUpdate"]["properties"])
CARD_UPLOAD_FIELDS = ("documentType", "documentNumber", "cardId")

MIN_AGE = 18
MAX_AGE = 120

# ASCII digits only, as the contract's patterns say (`\d` would also take other scripts' digits).
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PHONE = re.compile(r"[0-9]{8,15}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_DOCUMENT_PATTERNS = {
    "DPI": (re.compile(r"[0-9]{13}"), "must be 13 digits"),
    "NIT": (re.compile(r"[0-9]{2,12}K?"), "must be 2 to 12 digits, optionally ending in K"),
}
_OTHER_DOCUMENT = (re.compile(r"[A-Za-z0-9]{5,20}"), "must be 5 to 20 letters or digits")

COUNTRIES: frozenset[str] = frozenset(_SCHEMAS["CountryCode"]["enum"])
"""ISO 3166-1 alpha-2, officially assigned codes: the contract's `CountryCode` list is the single source."""

_TEXT_LIMITS = {"name": 100, "lastName": 100, "address": 200}


def today() -> date:
    return datetime.now(UTC).date()


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "is required"
    if len(value.strip()) > limit:
        return f"must be at most {limit} characters"
    return None


def _country(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "is required"
    if value.strip() not in COUNTRIES:
        return "must be an upper-case ISO 3166-1 alpha-2 code"
    return None


def parse_birth_date(value: Any) -> date | None:
    """The date when `value` is a real `YYYY-MM-DD` date, else None."""
    if not isinstance(value, str) or not _DATE.fullmatch(value.strip()):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _birth_date(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "is required"
    born = parse_birth_date(value)
    if born is None:
        return "must be a real date in YYYY-MM-DD format"
    if not MIN_AGE <= age_on(born, today()) <= MAX_AGE:
        return f"age must be between {MIN_AGE} and {MAX_AGE} years"
    return None


def _choice(value: Any, allowed: tuple[str, ...]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "is required"
    if value.strip() not in allowed:
        return "must be one of " + ", ".join(allowed)
    return None


def _phone(value: Any) -> str | None:
    """The documented shape, then a real number of the country its code names: the same libphonenumber
    reading the console applies (webapp/cardholders/rules.py), so a phone the console accepts is accepted
    here and one it refuses is refused. The stored form carries its country code, so no region is assumed."""
    if not isinstance(value, str) or not value.strip():
        return "is required"
    if not _PHONE.fullmatch(value.strip()):
        return "must be 8 to 15 digits, country code included, without +"
    try:
        clean_phone_number("+" + value.strip())
    except FieldInvalid:
        return "is not a valid phone number for its country code"
    return None


def _email(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "is required"
    text = value.strip()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        return "must be a valid email address"
    return None


def _card_id(value: Any) -> str | None:
    if value is None or value == "":
        return "is required"
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return "must be a positive integer"
    return None


def document_number_problem(document_type: Any, number: Any) -> str | None:
    """The rule for `documentNumber`, which depends on a valid `documentType`."""
    if not isinstance(number, str) or not number.strip():
        return "is required"
    if document_type not in DOCUMENT_TYPES:
        return None  # the type's own error says what to fix first
    pattern, message = _DOCUMENT_PATTERNS.get(document_type, _OTHER_DOCUMENT)
    return None if pattern.fullmatch(number.strip()) else message


_FIELD_CHECKS = {
    "name": lambda v: _text(v, _TEXT_LIMITS["name"]),
    "lastName": lambda v: _text(v, _TEXT_LIMITS["lastName"]),
    "address": lambda v: _text(v, _TEXT_LIMITS["address"]),
    "countryOfBirth": _country,
    "dateOfBirth": _birth_date,
    "maritalStatus": lambda v: _choice(v, MARITAL_STATUSES),
    "gender": lambda v: _choice(v, GENDERS),
    "phoneNumber": _phone,
    "email": _email,
    "documentType": lambda v: _choice(v, DOCUMENT_TYPES),
    "cardId": _card_id,
}


def _unknown(body: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, str]:
    return {key: "is not an accepted field" for key in body if key not in allowed}


def create_problems(body: Mapping[str, Any]) -> dict[str, str]:
    """All twelve fields are required; every rule of §4 applies; any other field is refused."""
    problems = _unknown(body, CREATE_FIELDS)
    for name in CREATE_FIELDS:
        if name == "documentNumber":
            problem = document_number_problem(_stripped(body.get("documentType")), body.get(name))
        else:
            problem = _FIELD_CHECKS[name](body.get(name))
        if problem:
            problems[name] = problem
    return problems


def update_problems(body: Mapping[str, Any]) -> dict[str, str]:
    """A partial update: only the fields present are checked; identity and card fields cannot change."""
    problems = _unknown(body, UPDATE_FIELDS)
    present = [name for name in UPDATE_FIELDS if name in body]
    if not present and not problems:
        problems["body"] = "must change at least one of " + ", ".join(UPDATE_FIELDS)
    for name in present:
        problem = _FIELD_CHECKS[name](body[name])
        if problem:
            problems[name] = problem
    return problems


def card_assignment_problems(body: Mapping[str, Any]) -> dict[str, str]:
    """A row of the cards upload (#15): which cardholder, by document, gets which free card."""
    problems = _unknown(body, CARD_UPLOAD_FIELDS)
    for name in ("documentType", "cardId"):
        problem = _FIELD_CHECKS[name](body.get(name))
        if problem:
            problems[name] = problem
    problem = document_number_problem(_stripped(body.get("documentType")), body.get("documentNumber"))
    if problem:
        problems["documentNumber"] = problem
    return problems


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def normalized(body: Mapping[str, Any]) -> dict[str, Any]:
    """The accepted values as stored: strings trimmed. Call only after the rules passed."""
    return {key: _stripped(value) for key, value in body.items()}
