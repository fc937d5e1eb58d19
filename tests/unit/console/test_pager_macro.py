"""The one pager macro: plain links by default, htmx links for the activity trail, a posted form for the
user search (its text never goes into a URL)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, render_template_string

PAGER = '{% from "_macros/ui.html" import pager %}{{ pager(page, params, **extra) }}'


@dataclass(frozen=True)
class Page:
    page: int
    total_pages: int


def _render(app: Flask, path: str, page: Page, params: dict[str, str], **extra: object) -> str:
    with app.test_request_context(path):
        return render_template_string(PAGER, page=page, params=params, extra=extra)


def test_the_default_pager_renders_plain_links(bare_app: Flask) -> None:
    html = _render(bare_app, "/p/1/users/", Page(2, 3), {"sort": "name"})
    assert '<a class="pager-link" rel="prev" href="/p/1/users/?page=1&amp;sort=name">' in html
    assert '<a class="pager-link" rel="next" href="/p/1/users/?page=3&amp;sort=name">' in html
    assert "hx-get" not in html
    assert "data-testid" not in html
    assert "<form" not in html


def test_an_htmx_pager_swaps_into_its_target_and_marks_its_links(bare_app: Flask) -> None:
    html = _render(bare_app, "/p/1/activity/", Page(2, 3), {"kind": "x"}, hx_target="#main", testid="page")
    url = "/p/1/activity/?page=1&amp;kind=x"
    assert f'href="{url}" hx-get="{url}" hx-target="#main" hx-push-url="true" data-testid="page-prev"' in html


def test_a_posted_pager_keeps_its_fields_out_of_the_url(bare_app: Flask) -> None:
    html = _render(bare_app, "/p/1/users/", Page(1, 2), {}, post={"q": "ana@demo.migo", "sort": "name"})
    assert '<form class="pager" method="post" action="/p/1/users/"' in html
    assert '<input type="hidden" name="q" value="ana@demo.migo">' in html
    assert 'name="csrf_token"' in html
    assert 'name="page" value="0" disabled' in html
    assert 'name="page" value="2">' in html
    assert "href" not in html


def test_one_page_needs_no_pager(bare_app: Flask) -> None:
    assert _render(bare_app, "/p/1/users/", Page(1, 1), {}).strip() == ""


def test_a_list_with_its_own_links_names_each_part_and_ends_with_the_call_block(bare_app: Flask) -> None:
    """The cardholder list: its links are its own (a search is POSTed, so the current endpoint's URL would be
    wrong), its tests find the parts by name, its page count is formatted."""
    template = (
        '{% from "_macros/ui.html" import pager %}'
        '{% call pager(page, hx_target="#results", testid=ids, href=href, numbered=true) %}'
        "<kbd>j k</kbd>{% endcall %}"
    )
    ids = {"prev": "previous-page", "next": "next-page", "status": "page-status"}
    with bare_app.test_request_context("/p/1/cardholders/search", headers={"Accept-Language": "en"}):
        html = render_template_string(
            template, page=Page(2, 4000), ids=ids, href=lambda number: f"/p/1/cardholders/?page={number}&s=x"
        )
    url = "/p/1/cardholders/?page=1&amp;s=x"
    htmx = f'hx-get="{url}" hx-target="#results" hx-push-url="true"'
    assert f'href="{url}" {htmx} data-testid="previous-page"' in html
    assert 'href="/p/1/cardholders/?page=3&amp;s=x"' in html
    assert 'data-testid="next-page"' in html
    assert '<span class="pager-status" data-testid="page-status">Page 2 of 4,000</span>' in html
    assert html.rstrip().endswith("<kbd>j k</kbd>\n    </nav>")
