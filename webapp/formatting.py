"""Numbers, money, dates and times as the operator's locale writes them, times in the console's time zone.

Babel's CLDR data decides separators and date order (`es_GT` writes 250,000.00 and 7/12/2026; `es_ES`
250.000,00 and 7 dic 2026), so every screen of one language agrees. Times are kept in UTC everywhere (store,
CMS, logs, exports) and converted only here, for display, to `BABEL_DEFAULT_TIMEZONE` (default
America/Guatemala, the sandbox's market), with the offset written next to each time so nobody has to guess.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import flask_babel
from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, get_currency_precision
from flask import Flask, current_app, has_app_context, has_request_context
from markupsafe import Markup

DEFAULT_TIME_ZONE = "America/Guatemala"
ENGLISH_LOCALE = "en_US"
EMPTY = "—"


def zone_problem(name: object) -> str | None:
    """Why `name` is not a usable time zone, for the start-up check in webapp/config.py."""
    if not isinstance(name, str) or not name:
        return "BABEL_DEFAULT_TIMEZONE must name a time zone, such as America/Guatemala"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"BABEL_DEFAULT_TIMEZONE: unknown time zone {name!r} (an IANA name, such as America/Guatemala)"
    return None


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def display_zone() -> tzinfo:
    """The console's display time zone (UTC outside an app, where nothing is shown)."""
    if not has_app_context():
        return UTC
    return _zone(str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_TIME_ZONE))


def display_locale() -> Locale:
    """The request's locale as Flask-Babel chose it (webapp/i18n.py: English, or SPANISH_LOCALE); English
    outside a request. English is `en_US`, the region CLDR's plain `en` stands for."""
    if not has_request_context():
        return _locale(ENGLISH_LOCALE)
    chosen = flask_babel.get_locale()
    if chosen is None or chosen.language != "es":
        return _locale(ENGLISH_LOCALE)
    return _locale(str(chosen))


def locale_name() -> str:
    """`en_US`, `es_GT`...: the request's locale, for code that takes a locale identifier."""
    return str(display_locale())


@lru_cache(maxsize=16)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def _local(moment: datetime) -> datetime:
    """`moment` in the display zone; a naive value is UTC (the store writes naive UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(display_zone())


def number(value: int | float | Decimal | None, places: int | None = None) -> str:
    """1,234,567 / 1.234.567; with `places`, exactly that many decimals."""
    if value is None:
        return EMPTY
    if places is None:
        return format_decimal(value, locale=display_locale())
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=display_locale(), decimal_quantization=True)


def file_size(size: int | None) -> str:
    """`812 B`, `12.3 KB`, `4.1 MB`, with the locale's decimal mark."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    value, unit = (size / 1024, "KB") if size < 1024 * 1024 else (size / (1024 * 1024), "MB")
    return f"{number(Decimal(f'{value:.1f}'), 1)} {unit}"


def money(amount: Decimal | int | float | None, currency: str | None) -> str:
    """`250,000.00 GTQ` / `250.000,00 GTQ`: the figure at the currency's precision, then its ISO code (the
    code, not a symbol: `Q` or `$` alone is ambiguous for a console that shows several currencies)."""
    if amount is None:
        return EMPTY
    if not currency:
        return number(amount, 2)
    return format_currency(amount, currency.upper(), "#,##0.00 ¤¤", locale=display_locale())


def figure(amount: Decimal | int | float | None, currency: str | None) -> str:
    """The figure alone, at the currency's precision, for layouts that set the code apart."""
    if amount is None:
        return EMPTY
    places = get_currency_precision(currency.upper()) if currency else 2
    return number(amount, places)


def when(moment: datetime | None, *, seconds: bool = False) -> str:
    """`Dec 7, 2026, 12:19 PM GMT-6` / `7/12/2026, 12:19 p. m. GMT-6`: date, time and the zone's offset."""
    if moment is None:
        return EMPTY
    local = _local(moment)
    loc = display_locale()
    shown_date = format_date(local, "medium", locale=loc)
    shown_time = format_time(local, "medium" if seconds else "short", tzinfo=local.tzinfo, locale=loc)
    glue = str(loc.datetime_formats.get("medium", "{1}, {0}"))
    return glue.replace("{1}", shown_date).replace("{0}", shown_time) + f" {_offset(local)}"


def day(value: date | datetime | None) -> str:
    """A calendar date: `Dec 7, 2026` / `7/12/2026`. A datetime is first moved to the display zone."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        value = _local(value).date()
    return _day_text(value, display_locale())


def day_formatter() -> Callable[[datetime], str]:
    """`day` for many values on one page: the zone and locale are looked up once, not once per row."""
    zone, locale = display_zone(), display_locale()

    def shown(moment: datetime) -> str:
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return _day_text(aware.astimezone(zone).date(), locale)

    return shown


@lru_cache(maxsize=2048)
def _day_text(value: date, locale: Locale) -> str:
    """A list of fifty rows shows a handful of distinct days: each is formatted once, not fifty times."""
    return format_date(value, "medium", locale=locale)


def time_tag(moment: datetime | None, *, seconds: bool = False) -> Markup:
    """`<time>` with the machine-readable UTC instant and, on hover, the same instant in UTC."""
    if moment is None:
        return Markup("—")
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    utc = aware.astimezone(UTC)
    return Markup('<time datetime="{iso}" title="{utc}">{shown}</time>').format(
        iso=utc.isoformat(timespec="seconds"),
        utc=utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        shown=when(moment, seconds=seconds),
    )


def _offset(local: datetime) -> str:
    """`GMT-6`, `GMT+5:30`, `GMT`: CLDR's short localized GMT format (Babel 2.19 renders pattern `O` as
    None, so it is built here from the offset itself)."""
    delta = local.utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    if minutes == 0:
        return "GMT"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label() -> str:
    """`America/Guatemala (GMT-6)`: the zone named once per page, beside the offsets in the cells."""
    zone = display_zone()
    return f"{getattr(zone, 'key', str(zone))} ({_offset(datetime.now(UTC).astimezone(zone))})"


def init_app(app: Flask) -> None:
    filters: dict[str, Any] = {
        "number": number,
        "money": money,
        "figure": figure,
        "when": when,
        "day": day,
        "time_tag": time_tag,
    }
    app.jinja_env.filters.update(filters)
    # Also callable as functions, as the top-up templates always did: `money(amount, currency)`.
    app.jinja_env.globals.update(zone_label=zone_label, money=money, when=when, file_size=file_size)
