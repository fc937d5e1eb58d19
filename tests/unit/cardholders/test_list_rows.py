"""What the list view hands its template: rows masked, linked and labelled once per page, and links to other
list states that are the very URLs `url_for` would build."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask, url_for
from hypothesis import given
from hypothesis import strategies as st

from webapp import create_app
from webapp.cardholders.list_rows import list_row as _row
from webapp.cardholders.list_rows import list_url as _list_url
from webapp.cardholders.listing import ORDERS, PAGE_SIZES, SORT_FIELDS, STATUSES, ListState
from webapp.cardholders.masking import mask_document, mask_email, mask_phone
from webapp.cms.models import CardholderSummary

LABELS = {"active": "activo", "inactive": "inactivo", "closed": "cerrado"}


def summary(**changes: object) -> CardholderSummary:
    fields: dict[str, object] = {
        "cardholder_id": 2570,
        "name": "Kevin <b>",
        "last_name": "Tzoc & Orellana",
        "email": "kevin.tzoc@example.org",
        "phone_number": "50255512344",
        "document_type": "DPI",
        "document_number": "1234567891315",
        "status": "active",
        "created_at": datetime(2026, 11, 21, 9, 30, tzinfo=UTC),
        "card_count": 1,
    }
    fields.update(changes)
    return CardholderSummary(**fields)  # type: ignore[arg-type]


def test_a_row_is_masked_linked_and_labelled() -> None:
    item = summary()
    row = _row(item, "/p/1/cardholders/", LABELS)
    assert row.url == "/p/1/cardholders/2570"
    assert (row.name, row.last_name) == ("Kevin <b>", "Tzoc & Orellana")  # the template escapes them
    assert row.email == mask_email(item.email) != item.email
    assert row.phone == mask_phone(item.phone_number) != item.phone_number
    assert row.document == mask_document(item.document_number) != item.document_number
    assert (row.status_label, row.kind, row.cards) == ("activo", "ok", 1)


def test_without_the_detail_permission_a_row_has_no_link() -> None:
    assert _row(summary(), "", LABELS).url == ""


def test_an_unknown_status_shows_as_sent_with_a_neutral_badge() -> None:
    row = _row(summary(status="frozen"), "", LABELS)
    assert (row.status_label, row.kind) == ("frozen", "neutral")


@pytest.mark.parametrize(
    "created",
    [
        datetime(2026, 11, 21, 5, 59, tzinfo=UTC),
        datetime(2026, 11, 20, 23, 59, tzinfo=timezone(timedelta(hours=-6))),
        datetime(2026, 11, 21, 11, 29, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ],
)
def test_the_created_date_is_the_display_zones_day(app: Flask, created: datetime) -> None:
    """Each of these instants is 23:59 on 20 November in Guatemala (the default BABEL_DEFAULT_TIMEZONE)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert _row(summary(created_at=created), "", LABELS).created == "Nov 20, 2026"
        assert _row(summary(created_at=None), "", LABELS).created == ""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    instance: Path = tmp_path_factory.mktemp("instance")
    return create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "SECRET_KEY": "s" * 40})


states = st.builds(
    ListState,
    page=st.integers(min_value=1, max_value=100_000),
    limit=st.sampled_from(PAGE_SIZES),
    sort=st.sampled_from(SORT_FIELDS),
    order=st.sampled_from(ORDERS),
    status=st.sampled_from(("", *STATUSES)),
    search_id=st.one_of(st.just(""), st.text("abcXYZ019-_", min_size=6, max_size=24)),
)


@given(state=states, field=st.sampled_from(SORT_FIELDS))
def test_list_links_are_the_urls_url_for_builds(app: Flask, state: ListState, field: str) -> None:
    with app.test_request_context("/p/7/cardholders/"):
        base = url_for("cardholders.index", partner_id=7)
        for query in (state.query(), state.sorted_by(field), state.query(page=state.page + 1)):
            built = url_for("cardholders.index", partner_id=7, **query)  # type: ignore[arg-type]
            assert _list_url(base, query) == built
