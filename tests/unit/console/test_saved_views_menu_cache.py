"""The per-node cache of the sidebar's saved views (webapp/saved_views/menu_cache.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from webapp.saved_views import menu_cache
from webapp.saved_views.menu_cache import MenuCache
from webapp.store.saved_views import SavedView


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _view(name: str) -> SavedView:
    return SavedView(
        id=1,
        partner_id=1,
        owner_id=7,
        owner_email="ana@test.migo",
        name=name,
        list_key="cardholders",
        query="status=closed",
        shared=False,
        created_at=datetime.now(UTC),
    )


class Store:
    """What the store answers, and how many times it was asked."""

    def __init__(self, *names: str) -> None:
        self.names = list(names)
        self.reads = 0

    def read(self) -> list[SavedView]:
        self.reads += 1
        return [_view(name) for name in self.names]


def _names(views: tuple[SavedView, ...]) -> list[str]:
    return [view.name for view in views]


def test_the_store_is_read_once_while_the_entry_is_fresh_and_again_once_it_is_not() -> None:
    clock, store = Clock(), Store("Closed")
    cache = MenuCache(30.0, clock)
    assert _names(cache.views(1, 7, "", store.read)) == ["Closed"]
    store.names.append("Inactive")  # saved on another node by a colleague
    clock.now += 29.9
    assert _names(cache.views(1, 7, "", store.read)) == ["Closed"]
    clock.now += 0.1
    assert _names(cache.views(1, 7, "", store.read)) == ["Closed", "Inactive"]
    assert store.reads == 2


def test_another_session_revision_reads_the_store_at_once() -> None:
    clock, store = Clock(), Store("Closed")
    cache = MenuCache(30.0, clock)
    cache.views(1, 7, "a1", store.read)
    store.names.append("Mine")
    assert _names(cache.views(1, 7, "b2", store.read)) == ["Closed", "Mine"]
    assert store.reads == 2


def test_entries_are_per_partner_and_operator_and_forgotten_by_partner() -> None:
    clock = Clock()
    cache = MenuCache(30.0, clock)
    first, other_operator, other_partner = Store("A"), Store("B"), Store("C")
    cache.views(1, 7, "", first.read)
    assert _names(cache.views(1, 8, "", other_operator.read)) == ["B"]
    assert _names(cache.views(2, 7, "", other_partner.read)) == ["C"]
    cache.forget_partner(1)
    for store, partner, operator in ((first, 1, 7), (other_operator, 1, 8), (other_partner, 2, 7)):
        cache.views(partner, operator, "", store.read)
    assert (first.reads, other_operator.reads, other_partner.reads) == (2, 2, 1)


def test_a_full_cache_lets_its_oldest_entry_go(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(menu_cache, "MAX_ENTRIES", 2)
    cache = MenuCache(30.0, Clock())
    stores = [Store(str(n)) for n in range(3)]
    for operator, store in enumerate(stores):
        cache.views(1, operator, "", store.read)
    cache.views(1, 0, "", stores[0].read)  # the oldest went when the third came
    cache.views(1, 2, "", stores[2].read)
    assert [store.reads for store in stores] == [2, 1, 1]


def test_a_failing_store_is_not_remembered() -> None:
    cache = MenuCache(30.0, Clock())

    def broken() -> list[SavedView]:
        raise RuntimeError("store down")

    with pytest.raises(RuntimeError):
        cache.views(1, 7, "", broken)
    store = Store("Closed")
    assert _names(cache.views(1, 7, "", store.read)) == ["Closed"]
