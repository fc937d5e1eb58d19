"""The filtered cardholder list as CSV or XLSX rows: fetched page by page, masked, formula-safe.

No whole list is held in memory and no number of rows stops it: the export job
(webapp/cardholders/export_job.py) writes each page's rows into its result file (CSV chunks as they come, XLSX
through xlsxwriter's constant_memory mode) before it asks for the next page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import tzinfo
from typing import Final

from webapp.cardholders.masking import mask_document, mask_email, mask_phone
from webapp.cms.models import CardholderSummary
from webapp.cms.pagination import Page, every_page
from webapp.files.export import ExportValue, csv_chunks
from webapp.textmarks import N_

Translate = Callable[..., str]

FORMATS: Final = ("csv", "xlsx")
# The API caps a page at 100.
PAGE_LIMIT: Final = 100
# The list's own column labels (marked for the catalog, translated by `header`); the time column names the
# zone its values are in, since a spreadsheet cell holds none.
HEADER: Final = (
    N_("ID"),
    N_("Name"),
    N_("Last name"),
    N_("Email"),
    N_("Phone"),
    N_("Document type"),
    N_("Document"),
    N_("Status"),
    N_("Cards"),
    N_("Created (%(zone)s)"),
)
MIME_TYPES: Final = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

FetchPage = Callable[[int, int], Page[CardholderSummary]]


def summaries(fetch: FetchPage) -> Iterator[CardholderSummary]:
    """Every cardholder of the filtered list, one upstream page at a time, until the CMS has no next page."""
    for page in every_page(lambda number: fetch(number, PAGE_LIMIT)):
        yield from page.items


def header(translate: Translate, zone_name: str) -> list[str]:
    """The column labels in the reader's language, the time column naming `zone_name`."""
    return [translate(label, zone=zone_name) if "%(zone)s" in label else translate(label) for label in HEADER]


def masked_row(item: CardholderSummary, labels: Labels | None = None) -> Sequence[ExportValue]:
    """One export row with the same masking and the same status and document names the list shows."""
    status, document_type = (item.status, item.document_type or "")
    if labels is not None:
        status, document_type = labels.status(item.status), labels.document(item.document_type)
    return (
        item.cardholder_id,
        item.name,
        item.last_name,
        mask_email(item.email),
        mask_phone(item.phone_number),
        document_type,
        mask_document(item.document_number),
        status,
        item.card_count,
        item.created_at,
    )


class Labels:
    """The list's names for raw values, in the reader's language (webapp/cardholders/labels.py)."""

    def __init__(self, status: Callable[[str | None], str], document: Callable[[str | None], str]) -> None:
        self.status, self.document = status, document


def csv_stream(
    items: Iterator[CardholderSummary], columns: Sequence[str], labels: Labels, zone: tzinfo | None = None
) -> Iterator[bytes]:
    return csv_chunks(columns, (masked_row(item, labels) for item in items), zone=zone)
