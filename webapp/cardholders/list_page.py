"""The cardholder list page (or its results alone, for htmx) from the CMS list, and its export job's start."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from flask import Response, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp.auth import job_session
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cardholders import export_job
from webapp.cardholders.labels import cardholder_status_label
from webapp.cardholders.list_rows import MatchBadges, list_row, list_url, sent_search
from webapp.cardholders.listing import PAGE_SIZES, SORT_FIELDS, STATUSES, ListState
from webapp.cardholders.rights import rights
from webapp.cms import errors
from webapp.cms.models import CardholderSummary
from webapp.cms.pagination import Page
from webapp.formatting import day_formatter
from webapp.htmx import is_htmx, redirect, render
from webapp.i18n import current_lang
from webapp.jobs import api as jobs_api
from webapp.jobs.kinds import KINDS
from webapp.store.audit import record_event
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


def start_export(partner_id: int, fmt: str, state: ListState, search: str) -> BaseResponse:
    """The filtered list as a background job (webapp/cardholders/export_job.py): answered at once with the
    job's panel (htmx) or its page. The search text waits beside the session (webapp/auth/job_session.py),
    never in the job record."""
    queue = jobs_api.current_queue()
    request_params = export_job.params_for(fmt, state, current_lang())
    reference = job_session.leave(
        export_job.KIND_NAME,
        {**request_params, "partner": partner_id, "minute": f"{datetime.now(UTC):%Y%m%d%H%M}"},
        ttl=queue.settings.deadline_seconds,
        private={"search": search},
    )
    params = {**request_params, "session": reference}
    job = jobs_api.enqueue(export_job.KIND_NAME, params, current_user, partner_id)
    record_event(
        "cardholder_export",
        outcome="success",
        partner_id=partner_id,
        detail={"format": fmt, "searched": bool(search), "status": state.status or "all", "job": job.id},
    )
    if is_htmx():
        return Response(render_template("jobs/_panel.html", job=job, partner_id=partner_id, kinds=KINDS))
    return redirect(url_for("jobs.detail", partner_id=partner_id, job_id=job.id))
