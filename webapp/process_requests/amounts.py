"""Money typed by an operator, read by the operator's language, and money shown back in that language.

English writes `1,234.56`, Spanish `1.234,56`. Operators paste figures from spreadsheets in either style, so
the parser accepts only what is unambiguous in the operator's language and explains everything else: a figure
that would mean something different in the other language (`1,234` for a Spanish reader: one thousand, or
one point two three four?) is refused with both readings named instead of being guessed.
No Flask in here; messages are English catalog keys with `{placeholders}`, translated by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from webapp.parsing import is_ascii_digits
from webapp.textmarks import N_

# Decimal places per ISO 4217 currency; anything not listed has the usual two.
CURRENCY_PRECISION: dict[str, int] = {"GTQ": 2, "USD": 2, "EUR": 2, "MXN": 2, "JPY": 0, "CLP": 0, "KWD": 3}
# The upstream refuses more than this (ASSUMPTIONS.md §4, 7002).
MAX_AMOUNT = Decimal("1000000000")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]")


@dataclass(frozen=True)
class Separators:
    decimal: str
    group: str


SEPARATORS: dict[str, Separators] = {"en": Separators(".", ","), "es": Separators(",", ".")}


@dataclass(frozen=True)
class AmountError(ValueError):
    """Why the text is not an amount: an English message key and the values for its placeholders."""

    message: str
    values: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.values if self.values else self.message


def precision_of(currency: str | None) -> int:
    return CURRENCY_PRECISION.get((currency or "").upper(), 2)


def _separators(lang: str) -> Separators:
    return SEPARATORS.get(lang, SEPARATORS["en"])


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


def example(lang: str, places: int = 2) -> str:
    """The sample figure shown in help and errors: 1,234.56 or 1.234,56."""
    return format_number(Decimal("1234.56").quantize(Decimal(1).scaleb(-places)), lang)


def parse_amount(raw: str | None, lang: str, currency: str | None = "GTQ") -> Decimal:
    """The amount `raw` means to an operator writing in `lang`; AmountError when it is not clearly one."""
    text = _SPACES.sub("", raw or "")
    if not text:
        raise AmountError(N_("Enter the amount."))
    negative = text.startswith("-")
    text = text.lstrip("+-")
    places = precision_of(currency)
    seps = _separators(lang)
    sample = {"example": example(lang, places)}
    if not text or not re.fullmatch(r"[0-9.,]+", text):
        raise AmountError(N_("Enter a number, for example %(example)s."), sample)
    parts = _read(text, seps)
    if parts is None:
        other = next((s for code, s in SEPARATORS.items() if code != lang and s != seps), None)
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
                    "thousands": format_number(Decimal(whole + fraction), lang),
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
            N_("The amount can be at most %(maximum)s."), {"maximum": format_number(MAX_AMOUNT, lang)}
        )
    return amount.quantize(Decimal(1).scaleb(-places))


def format_number(amount: Decimal, lang: str) -> str:
    """Grouped digits with the language's separators, keeping the amount's own decimal places."""
    seps = _separators(lang)
    sign = "-" if amount < 0 else ""
    whole, _dot, fraction = format(abs(amount), "f").partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = seps.group.join(groups)
    return f"{sign}{text}{seps.decimal}{fraction}" if fraction else f"{sign}{text}"


def format_money(amount: Decimal, currency: str | None, lang: str) -> str:
    """`1,234.56 GTQ` / `1.234,56 GTQ`, at the currency's precision."""
    places = precision_of(currency)
    shown = format_number(amount.quantize(Decimal(1).scaleb(-places)), lang)
    return f"{shown} {currency}" if currency else shown
