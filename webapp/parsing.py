"""Numbers typed into URLs, query strings and forms: ASCII digits only, bounded, never an exception.

`str.isdigit()` is true for '²' and '１' (and `int()`/`Decimal()` read full-width digits), and `int()` of a
5,000-digit string raises; so every id, page and amount the console reads from a request goes through here.
Ids are bounded by what the contract allows (1 to 2^31-1, `webapp/cms/contract/openapi.yaml`); `<int:...>` in
every route is the bounded converter below, so an id outside that range is a 404, not a 500 at the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.routing import IntegerConverter, ValidationError

if TYPE_CHECKING:
    from flask import Flask

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


class IdConverter(IntegerConverter):
    """`<int:...>` for the whole console: ASCII digits, 1 to 2^31-1, else no route matches (404)."""

    regex = r"[0-9]+"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", ID_MIN)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        parsed = parse_int(value, minimum=self.min or 0, maximum=self.max or ID_MAX)
        if parsed is None:
            raise ValidationError
        return parsed


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: every `<int:...>` rule is then bounded."""
    app.url_map.converters["int"] = IdConverter
