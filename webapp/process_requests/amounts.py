"""Money typed by an operator, read by the operator's locale.

The separators are the locale's own, from Babel's CLDR data: `en_US` and `es_GT` write `1,234.56`, `es_ES`
`1.234,56`. Operators paste figures from spreadsheets in either style, so the parser accepts only what is
unambiguous in the operator's locale and explains everything else: a figure that would mean something
different with the separators swapped (`1,234` for an `es_ES` reader: one thousand, or one point two three
four?) is refused with both readings named instead of being guessed.
Amounts are shown by webapp/formatting.py.
No Flask in here; messages are English catalog keys with `{placeholders}`, translated by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal, get_currency_precision, get_decimal_symbol, get_group_symbol

from webapp.parsing import is_ascii_digits
from webapp.textmarks import N_

# The upstream refuses more than this (ASSUMPTIONS.md §4, 7002).
MAX_AMOUNT = Decimal("1000000000")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]")


@dataclass(frozen=True)
class Separators:
    decimal: str
    group: str


    def swapped(self) -> Separators | None:
        """The other common way of writing figures, when this one is `.`/`,` or `,`/`.`."""
        return Separators(self.group, self.decimal) if {self.decimal, self.group} == {".", ","} else None


@dataclass(frozen=True)
class AmountError(ValueError):
    """Why the text is not an amount: an English message key and the values for its placeholders."""

    message: str
    values: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.values if self.values else self.message


def precision_of(currency: str | None) -> int:
    """ISO 4217 decimal places (GTQ 2, JPY 0, KWD 3), from CLDR; two when no currency is named."""
    return get_currency_precision(currency.upper()) if currency else 2


@lru_cache(maxsize=32)
def _separators(locale: str) -> Separators:
    """The locale's decimal mark and digit grouping; a non-breaking or narrow space groups as a space."""
    parsed = Locale.parse(locale)
    group = get_group_symbol(parsed)
    return Separators(get_decimal_symbol(parsed), " " if _SPACES.fullmatch(group) else group)


def _read(text: str, seps: Separators) -> tuple[str, str] | None:
    """(integer digits, fraction digits) when `text` is well formed with these separators, else None."""
    whole, dot, fraction = text.partition(seps.decimal)
    if not whole or (dot and not is_ascii_digits(fraction)):
        return None
    if seps.group in whole:
        if not re.fullmatch(rf"[0-9]{{1,3}}(?:{re.escape(seps.group)}[0-9]{{3}})+", whole):
            return None
        whole = whole.replace(seps.group, "")
    elif not is_ascii_digits(whole):
        return None
    return whole, fraction


def example(locale: str, places: int = 2) -> str:
    """The sample figure shown in help and errors: 1,234.56 or 1.234,56."""
    return format_number(Decimal("1234.56").quantize(Decimal(1).scaleb(-places)), locale)


def parse_amount(raw: str | None, locale: str, currency: str | None = "GTQ") -> Decimal:
    """The amount `raw` means to an operator writing in `locale` (`en_US`, `es_GT`, `es_ES`...); AmountError
    when it is not clearly one."""
    text = _SPACES.sub("", raw or "")
    if not text:
        raise AmountError(N_("Enter the amount."))
    negative = text.startswith("-")
    text = text.lstrip("+-")
    places = precision_of(currency)
    seps = _separators(locale)
    sample = {"example": example(locale, places)}
    if not text or not re.fullmatch(r"[0-9.,]+", text):
        raise AmountError(N_("Enter a number, for example %(example)s."), sample)
    parts = _read(text, seps)
    if parts is None:
        other = seps.swapped()
        if other is not None and _read(text, other) is not None:
            raise AmountError(
                N_(
                    "This is written in another number format. "
                    "Use “%(decimal)s” for decimals, as in %(example)s."
                ),
                {"decimal": seps.decimal, **sample},
            )
        raise AmountError(N_("Enter a number, for example %(example)s."), sample)
    whole, fraction = parts
    if len(fraction) > places:
        if len(fraction) == 3 and seps.group not in text and places < 3:
            # "1,234" (es) or "1.234" (en): a thousands figure in the other language, or too many decimals.
            raise AmountError(
                N_(
                    "“%(typed)s” is ambiguous: write %(thousands)s for the thousands, "
                    "or at most %(places)s decimals."
                ),
                {
                    "typed": raw.strip() if raw else text,
                    "thousands": format_number(Decimal(whole + fraction), locale),
                    "places": str(places),
                },
            )
        raise AmountError(N_("Use at most %(places)s decimals."), {"places": str(places)})
    try:
        amount = Decimal(f"{whole}.{fraction or '0'}")
    except InvalidOperation:  # pragma: no cover - the pattern above admits only digits
        raise AmountError(N_("Enter a number, for example %(example)s."), sample) from None
    if negative or amount <= 0:
        raise AmountError(N_("The amount must be greater than zero."))
    if amount > MAX_AMOUNT:
        raise AmountError(
            N_("The amount can be at most %(maximum)s."), {"maximum": format_number(MAX_AMOUNT, locale)}
        )
    return amount.quantize(Decimal(1).scaleb(-places))


def format_number(amount: Decimal, locale: str) -> str:
    """Grouped digits with the locale's separators, keeping the amount's own decimal places (what the
    parser reads back: `_separators` turns a non-breaking group space into a plain one)."""
    exponent = amount.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    pattern = "#,##0" + ("." + "0" * places if places else "")
    shown = format_decimal(amount, format=pattern, locale=locale, decimal_quantization=True)
    return _SPACES.sub(" ", shown)
