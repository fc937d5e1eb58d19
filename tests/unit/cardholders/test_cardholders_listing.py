"""List state ↔ URL: defaults, tolerance of bad input, and search text kept out of the URL."""

from __future__ import annotations

from typing import Any

from webapp.cardholders.listing import (
    SEARCHES_KEPT,
    ListState,
    clean_search,
    recall_search,
    remember_search,
)


def test_defaults_make_a_bare_url() -> None:
    state = ListState.from_args({})
    assert (state.page, state.limit, state.sort, state.order, state.status) == (
        1,
        50,
        "createdAt",
        "desc",
        "",
    )
    assert state.query() == {}


def test_a_state_survives_its_own_url() -> None:
    state = ListState(page=3, limit=25, sort="name", order="asc", status="closed", search_id="abcDEF12")
    assert ListState.from_args({k: str(v) for k, v in state.query().items()}) == state


def test_bad_values_fall_back_instead_of_failing() -> None:
    state = ListState.from_args(
        {"page": "-1", "limit": "7", "sort": "documentNumber", "order": "up", "status": "x", "s": "<script>"}
    )
    assert state == ListState()


def test_sorting_by_the_current_column_flips_the_order_and_goes_to_page_one() -> None:
    state = ListState(page=4, sort="name", order="asc")
    assert state.sorted_by("name") == {"sort": "name"}  # desc is the default order
    assert ListState(page=4).sorted_by("email") == {"sort": "email", "order": "asc"}


def test_search_text_is_kept_by_id_and_only_in_that_session() -> None:
    session: dict[str, Any] = {}
    search_id = remember_search(session, "lucia@example.com")
    assert "@" not in search_id
    assert 6 <= len(search_id) <= 24
    assert recall_search(session, search_id) == "lucia@example.com"
    assert remember_search(session, "lucia@example.com") == search_id
    assert recall_search({}, search_id) is None
    assert remember_search(session, "") == ""


def test_old_searches_are_dropped() -> None:
    session: dict[str, Any] = {}
    first = remember_search(session, "first")
    for n in range(SEARCHES_KEPT):
        remember_search(session, f"text {n}")
    assert recall_search(session, first) is None
    assert len(session["cardholder_searches"]) == SEARCHES_KEPT


def test_search_text_is_trimmed_and_bounded() -> None:
    assert clean_search("  50230001234 \n") == "50230001234"
    assert len(clean_search("x" * 500)) == 100
    assert clean_search(None) == ""
