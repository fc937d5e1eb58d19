"""webapp/formatting.py: the display zone and locale, and what each filter writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask

from webapp import formatting
from webapp.config import validate

JULY_NOON_UTC = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def english(app: Flask) -> Iterator[Flask]:
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield app


def test_naive_times_are_read_as_utc(english: Flask) -> None:
    assert formatting.when(JULY_NOON_UTC.replace(tzinfo=None)) == formatting.when(JULY_NOON_UTC)


@pytest.mark.parametrize(
    ("zone", "offset"),
    [
        ("America/Guatemala", "GMT-6"),
        ("UTC", "GMT"),
        ("Asia/Kathmandu", "GMT+5:45"),
        ("America/New_York", "GMT-4"),  # July: daylight saving time, the offset of that moment
    ],
)
def test_each_time_carries_its_own_offset(english: Flask, zone: str, offset: str) -> None:
    english.config["BABEL_DEFAULT_TIMEZONE"] = zone
    assert formatting.when(JULY_NOON_UTC).endswith(f" {offset}")


def test_a_calendar_day_is_the_display_zones_day(english: Flask) -> None:
    late_evening_in_guatemala = datetime(2026, 7, 2, 3, 0, tzinfo=UTC)
    assert formatting.day(late_evening_in_guatemala) == "Jul 1, 2026"
    assert formatting.day(date(2026, 7, 2)) == "Jul 2, 2026"  # a plain date (birth date) is never moved


def test_empty_values(english: Flask) -> None:
    assert formatting.when(None) == formatting.day(None) == formatting.money(None, "GTQ") == "—"
    assert str(formatting.time_tag(None)) == "—"
    assert formatting.file_size(None) == ""


def test_money_at_the_currencys_precision(english: Flask) -> None:
    assert formatting.money(Decimal("1234.5"), "GTQ") == "1,234.50 GTQ"
    assert formatting.money(Decimal("1234"), "jpy") == "1,234 JPY"
    assert formatting.figure(Decimal("1.5"), "KWD") == "1.500"


def test_spanish_follows_the_configured_locale(app: Flask) -> None:
    for locale, money, size in (("es_GT", "1,234.50 GTQ", "4.9 KB"), ("es_ES", "1.234,50 GTQ", "4,9 KB")):
        app.config["SPANISH_LOCALE"] = locale
        with app.test_request_context("/", headers={"Accept-Language": "es"}):
            assert formatting.money(Decimal("1234.5"), "GTQ") == money
            assert formatting.file_size(5000) == size


def test_the_time_tag_escapes_nothing_it_did_not_build(english: Flask) -> None:
    tag = str(formatting.time_tag(JULY_NOON_UTC))
    assert tag.startswith('<time datetime="2026-07-01T12:00:00+00:00" title="2026-07-01 12:00:00 UTC">')
    assert tag.endswith("GMT-6</time>")


@pytest.mark.parametrize("zone", ["", None, "Mars/Olympus", "../../etc/passwd"])
def test_an_unknown_zone_is_a_configuration_error(zone: object) -> None:
    assert formatting.zone_problem(zone)


def test_validate_names_both_settings() -> None:
    from webapp.config import DEFAULTS

    config = dict(DEFAULTS, BABEL_DEFAULT_TIMEZONE="Nowhere/Town", SPANISH_LOCALE="pt_BR")
    problems = " ".join(validate(config))
    assert "BABEL_DEFAULT_TIMEZONE" in problems
    assert "SPANISH_LOCALE" in problems
