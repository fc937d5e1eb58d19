"""The cardholder export as a background job: every row of the filtered list, no cap, into a file to download.

The request (list_page.start_export) leaves the operator's CMS session for the job
(webapp/auth/job_session.py) and puts the list's filter, the format and the operator's language in its
parameters with the session's reference; the search text waits beside the session, never in the job record.
A worker pages through the CMS list as that operator, one call at a time within the process's CMS slots
(JOBS_CMS_CONCURRENCY), and writes the masked, formula-safe rows (webapp/cardholders/export.py) straight into
the job's private result file: CSV as it comes, XLSX through xlsxwriter's constant_memory mode, so memory
stays flat whatever the list's length (bench/bench_export_job.py).

A retry after a killed worker writes the file again from the first page (half a file cannot be resumed safely;
reading the CMS again has no upstream effect). A CMS that stops answering, or a session that ended, fails the
job with a reason the operator can act on, and no half-written file is left behind.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

from flask import g

from webapp.auth import job_session
from webapp.cardholders import export as exporting
from webapp.cardholders.labels import cardholder_status_label, document_label
from webapp.cardholders.list_rows import sent_search
from webapp.cardholders.listing import ListState
from webapp.cms import errors
from webapp.cms.models import CardholderSummary
from webapp.cms.pagination import Page
from webapp.files.export import attachment_filename, write_xlsx_export
from webapp.formatting import display_zone
from webapp.jobs.kinds import Counts, JobContext, Kind, register
from webapp.textmarks import N_
from webapp.textmarks import gettext as _
from webapp.upstream import cms

KIND_NAME: Final = "cardholder_export"
PROGRESS_EVERY_SECONDS: Final = 0.5
SESSION_GONE: Final = N_("your session ended before the export could run: sign in and export again")
SESSION_ENDED: Final = N_("your CMS session expired during the export: sign in and export again")
CMS_FAILED: Final = N_("the CMS stopped answering during the export: export again")


def params_for(fmt: str, state: ListState, lang: str) -> dict[str, Any]:
    """What the job needs besides the session: the format, the list's filter and sort, the language."""
    return {"format": fmt, "status": state.status, "sort": state.sort, "order": state.order, "lang": lang}


def _pages(context: JobContext, holder: job_session.JobTokens, search: str) -> exporting.FetchPage:
    params = context.params
    partner_id = int(context.partner_id or 0)

    def fetch(page_no: int, limit: int) -> Page[CardholderSummary]:
        with context.cms_slot():
            return cms().cardholders.list(
                holder,
                partner_id,
                page=page_no,
                limit=limit,
                search=sent_search(search) or None,
                sort_by=str(params["sort"]),
                sort_order=str(params["order"]),
                status=str(params["status"]) or None,
            )

    return fetch


class Rows:
    """The list's cardholders, counted and reported as they pass (at most every PROGRESS_EVERY_SECONDS)."""

    def __init__(self, context: JobContext, fetch: exporting.FetchPage) -> None:
        self.context, self.fetch = context, fetch
        self.total: int | None = None
        self.written = 0
        self._reported_at = 0.0

    def _page(self, page_no: int, limit: int) -> Page[CardholderSummary]:
        page = self.fetch(page_no, limit)
        self.total = page.total
        self._report()
        return page

    def _report(self, *, force: bool = False) -> None:
        moment = time.monotonic()
        if force or moment - self._reported_at >= PROGRESS_EVERY_SECONDS:
            self._reported_at = moment
            self.context.report_progress(self.written, self.total, {"rows": self.written})

    def __iter__(self) -> Iterator[CardholderSummary]:
        for item in exporting.summaries(self._page):
            yield item
            self.written += 1
        self._report(force=True)


def run(context: JobContext) -> Counts:
    with job_session.kept_until_the_end(context.app, str(context.params.get("session") or "")):
        return _export(context)


def _export(context: JobContext) -> Counts:
    params = context.params
    fmt = str(params["format"])
    if fmt not in exporting.FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    try:
        found = job_session.borrow(context.app, str(params.get("session") or ""))
    except errors.SessionEnded:
        context.fail(SESSION_GONE)
    rows = Rows(context, _pages(context, found.tokens, str(found.private.get("search") or "")))
    stem = f"cardholders-{context.partner_id}-{datetime.now(UTC):%Y%m%d-%H%M}"
    # The operator's language at request time: a request context of the worker's own, speaking it.
    with context.app.test_request_context("/"):
        g.lang = str(params.get("lang") or "en")
        zone = display_zone()
        columns = exporting.header(_, getattr(zone, "key", str(zone)))
        labels = exporting.Labels(cardholder_status_label, document_label)
        context.report_progress(0, None, {"rows": 0})
        try:
            with context.result_file(attachment_filename(stem, fmt)) as handle:
                if fmt == "csv":
                    for chunk in exporting.csv_stream(iter(rows), columns, labels, zone):
                        handle.write(chunk)
                else:
                    masked = (exporting.masked_row(item, labels) for item in rows)
                    write_xlsx_export(handle, columns, masked, sheet_name="Cardholders", zone=zone)
        except errors.SessionEnded:
            context.fail(SESSION_ENDED)
        except errors.CmsError:
            context.fail(CMS_FAILED)
    return {"rows": rows.written}


KIND = register(
    Kind(
        KIND_NAME,
        N_("Cardholder export"),
        run,
        count_labels={"rows": N_("Rows written")},
    )
)
