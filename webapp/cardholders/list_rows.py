"""The list's presenters: one row per cardholder, masked, labelled and linked once per page, the search's
"Matched" badge, and links to the list in another state. The template only places what these build (it
runs 50 times a page)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlencode

from webapp.cardholders import phones
from webapp.cardholders.forms import phone_region
from webapp.cardholders.labels import document_label
from webapp.cardholders.masking import mask_document, mask_email, mask_phone
from webapp.cms.models import CardholderSummary
from webapp.formatting import day
from webapp.status_badges import badge_kind
from webapp.textmarks import gettext as _


class ListRow(NamedTuple):
    """One list row, masked and formatted by the view.

    A tuple, not a dict: Jinja reads `row.name` as an attribute first, and on a dict every such read fails
    over to the item through an exception (550 of them a page)."""

    id: int
    url: str  # the detail page, or "" when the operator may not open it
    name: str
    last_name: str
    email: str
    phone: str
    document_type: str
    document: str
    status: str
    status_label: str
    kind: str
    cards: int | None
    created: str
    matched: str  # "Matched: Phone" under a search, "" otherwise


def list_row(
    item: CardholderSummary,
    detail_base: str,
    status_labels: Mapping[str, str],
    matched: str = "",
    days: Callable[[datetime], str] | None = None,
) -> ListRow:
    """One list row, masked and formatted here: the template only places the values (it runs 50 times).

    `detail_base` is the detail URL without its id ("" for no link), `status_labels` are translated and `days`
    writes the display zone's calendar day (webapp/formatting.py `day_formatter`), all made once per page."""
    shown_day = days or day
    return ListRow(
        id=item.cardholder_id,
        url=f"{detail_base}{item.cardholder_id}" if detail_base else "",
        name=item.name,
        last_name=item.last_name,
        email=mask_email(item.email),
        phone=mask_phone(item.phone_number),
        document_type=document_label(item.document_type),
        document=mask_document(item.document_number),
        status=item.status,
        status_label=status_labels.get(item.status, item.status),
        kind=badge_kind(item.status, "cardholder"),
        cards=item.card_count,
        created=shown_day(item.created_at) if item.created_at else "",
        matched=matched,
    )


def sent_search(search: str) -> str:
    """What goes upstream as `searchText`: a phone as people say it ("5550-1234") becomes the stored form
    ("50255501234"), which the CMS matches; any other text goes as typed."""
    return phones.search_form(search, phone_region()) if search else ""


class MatchBadges:
    """Which of the searched fields a row matched, as the list's badge text: the CMS says only that a row
    matches, so the console applies the documented rule (part of the email, phone or document number, case
    aside) to the values it was sent. One instance per page; the texts are built once per combination."""

    def __init__(self, sent: str) -> None:
        self.needle = sent.casefold()
        self.labels = (_("Email"), _("Phone"), _("Document"))
        self.texts: dict[tuple[bool, bool, bool], str] = {}

    def __call__(self, item: CardholderSummary) -> str:
        needle = self.needle
        if not needle:
            return ""
        key = (
            needle in (item.email or "").casefold(),
            needle in (item.phone_number or ""),
            needle in (item.document_number or "").casefold(),
        )
        text = self.texts.get(key)
        if text is None:
            fields = [label for label, hit in zip(self.labels, key, strict=True) if hit]
            text = self.texts[key] = _("Matched: %(fields)s", fields=", ".join(fields)) if fields else ""
        return text


# Werkzeug's own safe set for query strings, so a link built here is the one `url_for` would build.
_QUERY_SAFE = "!$'()*,/:;?@"


def list_url(base: str, query: Mapping[str, str | int]) -> str:
    """This list in another state (a sort, a page): the template needs eight of these a page, and one
    `url_for` for the path plus the query string is the same URL for a fraction of a routing build each."""
    return f"{base}?{urlencode(query, safe=_QUERY_SAFE)}" if query else base
