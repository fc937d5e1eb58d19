"""The assumed pagination wrapper (ASSUMPTIONS.md §3), in one function so the real shape is a one-file fix.

Tolerant on purpose: `data` may be the assumed `{items, page, limit, total, totalPages}`, an object holding
the list under `data` or `rows`, or a bare array (then the totals are derived from what arrived).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from webapp.cms.errors import BadUpstreamResponse

T = TypeVar("T")

_LIST_KEYS = ("items", "data", "rows")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    limit: int
    total: int
    total_pages: int

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def is_last(self) -> bool:
        """No page follows: the CMS says so, or this one came back empty (a CMS that miscounts its pages
        must not keep a reader asking forever)."""
        return not self.items or not self.has_next


def every_page(read: Callable[[int], Page[T]], *, max_pages: int | None = None) -> Iterator[Page[T]]:
    """Pages 1, 2, … as `read(number)` answers them, up to the last one or `max_pages`, whichever is first;
    the caller tells the two apart by the last page's `is_last`."""
    number = 1
    while max_pages is None or number <= max_pages:
        page = read(number)
        yield page
        if page.is_last:
            return
        number += 1


def _int_or(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return value


def parse_page(data: Any, parse_item: Callable[[Any], T], *, page: int, limit: int) -> Page[T]:
    """One page of items; `page`/`limit` are what was asked, used when the answer does not say."""
    if isinstance(data, list):
        raw_items: list[Any] = data
        meta: Mapping[str, Any] = {}
    elif isinstance(data, Mapping):
        found = next((data[k] for k in _LIST_KEYS if isinstance(data.get(k), list)), None)
        if found is None:
            raise BadUpstreamResponse("Unexpected upstream data: the page holds no list of items")
        raw_items = found
        meta = data
    else:
        raise BadUpstreamResponse("Unexpected upstream data: a page is neither an object nor a list")

    items = [parse_item(raw) for raw in raw_items]
    got_page = max(1, _int_or(meta.get("page"), page))
    got_limit = max(1, _int_or(meta.get("limit"), limit))
    fallback_total = (got_page - 1) * got_limit + len(items)
    total = max(0, _int_or(meta.get("total"), fallback_total))
    default_pages = (total + got_limit - 1) // got_limit
    total_pages = max(0, _int_or(meta.get("totalPages"), default_pages))
    return Page(items=items, page=got_page, limit=got_limit, total=total, total_pages=total_pages)
