"""The approver's queue read from a scripted CMS: every page of pending requests, never the operator's own,
and the `awaiting=me` filter that the dashboard links to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.unit.cms.fakes import FakeCms, envelope, holder, make_client
from webapp.process_requests.listing import parse_filters
from webapp.process_requests.queue import MAX_READS, READ_LIMIT, decision_queue

ME, OTHER = 7, 8
START = datetime(2026, 1, 1, tzinfo=UTC)


def _request(number: int, requester: int | None) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": number,
        "requestedAmount": 10,
        "status": "pending",
        "createdAt": (START + timedelta(hours=number)).isoformat(),
    }
    if requester is not None:
        raw["requestedBy"] = {"id": requester, "name": f"op {requester}"}
    return raw


def _pending_cms(items: list[dict[str, Any]]) -> tuple[FakeCms, list[httpx.Request]]:
    """The pending list, newest first, paged as asked."""
    seen: list[httpx.Request] = []
    newest_first = sorted(items, key=lambda item: item["id"], reverse=True)

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page, limit = int(request.url.params["page"]), int(request.url.params["limit"])
        chunk = newest_first[(page - 1) * limit : page * limit]
        pages = (len(items) + limit - 1) // limit
        return envelope(
            {"items": chunk, "page": page, "limit": limit, "total": len(items), "totalPages": pages}
        )

    return FakeCms(routes={"GET /app/partners/1/process-requests": answer}), seen


def test_every_page_is_read_and_own_requests_are_left_out() -> None:
    items = [_request(n, ME if n % 3 == 0 else OTHER) for n in range(1, 251)]
    items.append(_request(251, None))  # requester unknown: the CMS decides whether this operator may
    fake, seen = _pending_cms(items)
    queue = decision_queue(make_client(fake), holder(), 1, ME)
    assert [dict(r.url.params) for r in seen] == [
        {"page": str(n), "limit": str(READ_LIMIT), "status": "pending"} for n in (1, 2, 3)
    ]
    assert queue.complete
    assert queue.count == 251 - 83
    assert all(item.requested_by is None or item.requested_by.id != ME for item in queue.items)
    assert queue.oldest == START + timedelta(hours=1)
    page = queue.page(2, 20)
    assert (page.page, page.total, page.total_pages) == (2, queue.count, 9)
    assert [item.id for item in page.items] == [item.id for item in queue.items[20:40]]


def test_an_empty_queue_has_no_oldest() -> None:
    fake, seen = _pending_cms([_request(1, ME)])
    queue = decision_queue(make_client(fake), holder(), 1, ME)
    assert (queue.count, queue.oldest, queue.complete) == (0, None, True)
    assert len(seen) == 1


def test_reading_stops_at_the_cap() -> None:
    fake, seen = _pending_cms([_request(n, OTHER) for n in range(1, MAX_READS * READ_LIMIT + 2)])
    queue = decision_queue(make_client(fake), holder(), 1, ME)
    assert len(seen) == MAX_READS
    assert not queue.complete
    assert queue.count == MAX_READS * READ_LIMIT


def test_the_queue_filter_means_pending_and_travels_in_the_url() -> None:
    found = parse_filters({"awaiting": "me", "page": "2"})
    assert (found.awaiting_me, found.status, found.active) == (True, "pending", True)
    assert found.query(page=3) == {"status": "pending", "awaiting": "me", "page": "3"}
    assert not parse_filters({"awaiting": "someone"}).awaiting_me
    mixed = parse_filters({"awaiting": "me", "status": "approved"})
    assert (mixed.awaiting_me, mixed.status) == (False, "approved")
