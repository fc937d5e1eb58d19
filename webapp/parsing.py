"""Numbers typed into URLs, query strings and forms: ASCII digits only, bounded, never an exception.

`str.isdigit()` is true for '²' and '１' (and `int()`/`Decimal()` read full-width digits), and `int()` of a
5,000-digit string raises; so every id, page and amount the console reads from a request goes through here.
Ids are bounded by what the contract allows (1 to 2^31-1, `webapp/cms/contract/openapi.yaml`); `<int:...>` in
every route is the bounded converter of webapp/routing.py, so an id outside that range is a 404, not a 500
at the database. No Flask here: the CMS client reads numbers with these too.
"""

from __future__ import annotations

ID_MIN = 1
ID_MAX = 2**31 - 1  # the contract's maximum for every numeric id
PAGE_MAX = 100_000


def is_ascii_digits(text: str | None) -> bool:
    """True for a non-empty run of 0-9 and nothing else ('²', '１' and '' are not digits here)."""
    return bool(text) and text.isascii() and text.isdigit()  # type: ignore[union-attr]


def parse_int(raw: str | None, *, minimum: int, maximum: int) -> int | None:
    """The whole number `raw` spells in ASCII digits (spaces around allowed) within the bounds, or None."""
    text = (raw or "").strip()
    if not is_ascii_digits(text):
        return None
    significant = text.lstrip("0") or "0"
    if len(significant) > len(str(maximum)):  # out of range anyway; int() would refuse past 4,300 digits
        return None
    value = int(significant)
    return value if minimum <= value <= maximum else None


def parse_id(raw: str | None) -> int | None:
    """An id as the contract allows it (1 to 2^31-1), or None."""
    return parse_int(raw, minimum=ID_MIN, maximum=ID_MAX)


def parse_page(raw: str | None, default: int = 1, maximum: int = PAGE_MAX) -> int:
    """A page number from 1 to `maximum`; anything else is `default`."""
    value = parse_int(raw, minimum=1, maximum=maximum)
    return default if value is None else value
