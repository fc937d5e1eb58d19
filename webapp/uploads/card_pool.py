"""Which card ids of a file are free cards of the partner, asked of the CMS during the dry run.

The send fails a row whose card is not free (8014), so the dry run asks the same question first, through the
assumed `partner-cards` capability (webapp/cms/capabilities.py). When the CMS cannot answer — the operation is
missing, the operator may not list cards, or the CMS does not answer — the lookup raises `CardsUnknown` with
the reason, and the dry-run page says the check is left to the CMS.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from webapp.auth.token_holder import SessionTokenHolder
from webapp.cms import errors as cms_errors
from webapp.cms.models import Card
from webapp.cms.pagination import Page, every_page
from webapp.logging_setup import security_event
from webapp.uploads.checking import CardsUnknown, FreeCards
from webapp.upstream import cms

PAGE_LIMIT: Final = 100  # the largest page the list operations take (sandbox: routes/cardholders.py paging)
MAX_PAGES: Final = 1000  # 100,000 free cards: as many as the largest file can use


def free_cards(partner_id: int) -> FreeCards:
    def read(number: int) -> Page[Card]:
        return cms().cards.free(SessionTokenHolder(), partner_id, page=number, limit=PAGE_LIMIT)

    def lookup(wanted: Collection[int]) -> set[int]:
        missing = set(wanted)
        found: set[int] = set()
        if not missing:
            return found
        read_all = False
        try:
            for listed in every_page(read, max_pages=MAX_PAGES):
                free_here = missing.intersection(card.card_id for card in listed.items)
                missing -= free_here
                found |= free_here
                read_all = listed.is_last
                if not missing:
                    break
        except cms_errors.SessionEnded:
            raise
        except cms_errors.CapabilityMissing as exc:
            raise CardsUnknown("missing") from exc
        except cms_errors.Forbidden as exc:
            raise CardsUnknown("forbidden") from exc
        except cms_errors.CmsError as exc:
            security_event("upload_cards_unchecked", error_class=type(exc).__name__, partner_id=partner_id)
            raise CardsUnknown("unavailable") from exc
        if missing and not read_all:
            raise CardsUnknown("unavailable")  # more free cards than pages read: not told, so not guessed
        return found

    return lookup
