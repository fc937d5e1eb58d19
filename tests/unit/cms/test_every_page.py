"""Reading a CMS list to its end, one page at a time (webapp/cms/pagination.py every_page)."""

from __future__ import annotations

from webapp.cms.pagination import Page, every_page


class Pages:
    """`total` numbers served `limit` at a time; `claims_pages` overrides the page count it gives."""

    def __init__(self, total: int, limit: int = 10, claims_pages: int | None = None) -> None:
        self.total, self.limit, self.claims_pages = total, limit, claims_pages
        self.asked: list[int] = []

    def read(self, number: int) -> Page[int]:
        self.asked.append(number)
        start = (number - 1) * self.limit
        items = list(range(start, min(start + self.limit, self.total)))
        pages = self.claims_pages if self.claims_pages is not None else -(-self.total // self.limit)
        return Page(items, number, self.limit, self.total, pages)


def test_every_page_up_to_the_last_one() -> None:
    source = Pages(25)
    pages = list(every_page(source.read))
    assert [item for page in pages for item in page.items] == list(range(25))
    assert source.asked == [1, 2, 3]
    assert pages[-1].is_last
    assert not pages[0].is_last


def test_max_pages_stops_short_and_the_last_page_read_says_more_follow() -> None:
    source = Pages(95)
    pages = list(every_page(source.read, max_pages=4))
    assert source.asked == [1, 2, 3, 4]
    assert not pages[-1].is_last


def test_an_empty_page_ends_the_reading_whatever_the_cms_claims() -> None:
    source = Pages(20, claims_pages=1000)
    pages = list(every_page(source.read))
    assert source.asked == [1, 2, 3]
    assert pages[-1].items == []
    assert pages[-1].is_last


def test_an_empty_list_is_one_page() -> None:
    source = Pages(0)
    assert [page.items for page in every_page(source.read)] == [[]]
