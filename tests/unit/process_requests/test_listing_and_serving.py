"""List filters from the query string, and which evidence may be shown inline."""

from __future__ import annotations

from datetime import date

from webapp.cms.models import EvidenceFile
from webapp.process_requests.listing import parse_filters
from webapp.process_requests.serving import trusted_type


def test_filters_parsed() -> None:
    found = parse_filters({"status": "approved", "from": "2026-01-01", "to": "2026-01-31", "page": "3"})
    assert (found.status, found.date_from, found.date_to, found.page) == (
        "approved",
        date(2026, 1, 1),
        date(2026, 1, 31),
        3,
    )
    assert found.errors == {}
    assert found.query(page=4) == {
        "status": "approved",
        "from": "2026-01-01",
        "to": "2026-01-31",
        "page": "4",
    }


def test_bad_filters_are_reported_and_dropped() -> None:
    found = parse_filters({"status": "paid", "from": "2026-1-1", "to": "tomorrow", "page": "-2"})
    assert (found.status, found.date_from, found.date_to, found.page) == (None, None, None, 1)
    assert set(found.errors) == {"status", "from", "to"}


def test_reversed_dates() -> None:
    found = parse_filters({"from": "2026-02-01", "to": "2026-01-01"})
    assert found.date_to is None
    assert "to" in found.errors


def test_only_agreeing_previewable_types_are_trusted() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    assert trusted_type(EvidenceFile(png, "image/png", "a.png")) == "image/png"
    assert trusted_type(EvidenceFile(png, "application/pdf", "a.pdf")) is None
    assert trusted_type(EvidenceFile(b"<svg onload=x>", "image/svg+xml", "a.svg")) is None
    assert trusted_type(EvidenceFile(b"<html>", "text/html", "a.html")) is None
