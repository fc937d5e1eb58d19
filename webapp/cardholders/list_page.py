"""The cardholder list page (or its results alone, for htmx) and its export, from the CMS list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from functools import partial

from flask import Response, request, stream_with_context, url_for

from webapp.auth.token_holder import SessionTokenHolder
from webapp.cardholders import export as exporting
from webapp.cardholders.labels import cardholder_status_label, document_label
from webapp.cardholders.list_rows import MatchBadges, list_row, list_url, sent_search
from webapp.cardholders.listing import PAGE_SIZES, SORT_FIELDS, STATUSES, ListState
from webapp.cardholders.rights import rights
from webapp.cms import errors
from webapp.cms.models import CardholderSummary
from webapp.cms.pagination import Page
from webapp.files.export import content_disposition
from webapp.formatting import day_formatter, display_zone
from webapp.htmx import is_htmx, render
from webapp.store.audit import record_event
from webapp.textmarks import gettext as _
from webapp.upstream import cms

RESULTS_TARGET = "cardholder-results"
# Failures where nothing reached the CMS, or the CMS gave no usable answer: the list shows them in place.
LIST_FAILURES = (
    errors.UpstreamUnavailable,
    errors.UpstreamTimeout,
    errors.CircuitOpen,
    errors.ServerError,
    errors.BadUpstreamResponse,
    errors.RateLimited,
)


def fetch(partner_id: int, state: ListState, search: str, page: int, limit: int) -> Page[CardholderSummary]:
    return cms().cardholders.list(
        SessionTokenHolder(),
        partner_id,
        page=page,
        limit=limit,
        search=sent_search(search) or None,
        sort_by=state.sort,
        sort_order=state.order,
        status=state.status or None,
    )


def list_page(partner_id: int, state: ListState, search: str, *, lost_search: bool = False) -> Response:
    page: Page[CardholderSummary] | None = None
    failure: str | None = None
    try:
        page = fetch(partner_id, state, search, state.page, state.limit)
    except LIST_FAILURES as exc:
        failure = exc.message
    results_only = is_htmx() and request.headers.get("HX-Target") == RESULTS_TARGET
    can = rights(partner_id)
    detail_base = url_for(".detail", partner_id=partner_id, cardholder_id=0)[:-1] if can.detail else ""
    status_labels = {status: cardholder_status_label(status) for status in STATUSES}
    badge = MatchBadges(sent_search(search))
    days = day_formatter()
    return render(
        "cardholders/index.html",
        status=503 if failure and not is_htmx() else 200,
        partner_id=partner_id,
        state=state,
        search_text=search,
        lost_search=lost_search,
        page=page,
        rows=[list_row(item, detail_base, status_labels, badge(item), days) for item in page.items]
        if page
        else [],
        failure=failure,
        results_only=results_only,
        can=can,
        sort_fields=SORT_FIELDS,
        statuses=STATUSES,
        status_labels=status_labels,
        list_url=partial(list_url, url_for(".index", partner_id=partner_id)),
        page_sizes=PAGE_SIZES,
    )


def export_file(partner_id: int, fmt: str, state: ListState, search: str) -> Response:
    """The filtered list in `fmt`, masked as on screen, streamed page by page from the CMS."""
    first = fetch(partner_id, state, search, 1, exporting.PAGE_LIMIT)  # fails here, before any byte is sent

    def pages(page_no: int, limit: int) -> Page[CardholderSummary]:
        return first if page_no == 1 else fetch(partner_id, state, search, page_no, limit)

    record_event(
        "cardholder_export",
        outcome="success",
        partner_id=partner_id,
        detail={
            "format": fmt,
            "searched": bool(search),
            "status": state.status or "all",
            "rows": min(first.total, exporting.MAX_ROWS),
        },
    )
    stem = f"cardholders-{partner_id}-{datetime.now(UTC):%Y%m%d-%H%M}"
    headers = {"Content-Disposition": content_disposition(stem, fmt)}
    if fmt == "csv":
        body = stream_with_context(_csv_or_note(exporting.summaries(pages)))
    else:
        body = exporting.file_chunks(exporting.xlsx_file(exporting.summaries(pages), *_export_shape()))
    return Response(body, mimetype=exporting.MIME_TYPES[fmt], headers=headers)


def _export_shape() -> tuple[list[str], exporting.Labels, tzinfo]:
    """Headers, value names and time zone of an export: the list's own, in the reader's language."""
    zone = display_zone()
    columns = exporting.header(_, getattr(zone, "key", str(zone)))
    return columns, exporting.Labels(cardholder_status_label, document_label), zone


def _csv_or_note(items: Iterator[CardholderSummary]) -> Iterator[bytes]:
    """The CSV stream; if the CMS fails half-way the file ends with a line saying so, never silently short."""
    stream = exporting.csv_stream(items, *_export_shape())
    try:
        yield from stream
    except errors.CmsError:
        yield b"\r\nEXPORT INCOMPLETE: the CMS stopped answering; export again.\r\n"
