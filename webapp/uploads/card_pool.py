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
from webapp.logging_setup import security_event
from webapp.uploads.checking import CardsUnknown, FreeCards
from webapp.upstream import cms

PAGE_LIMIT: Final = 100  # the largest page the list operations take (sandbox: routes/cardholders.py paging)
MAX_PAGES: Final = 1000  # 100,000 free cards: as many as the largest file can use


def free_cards(partner_id: int) -> FreeCards:
    def lookup(wanted: Collection[int]) -> set[int]:
        missing = set(wanted)
        found: set[int] = set()
        page = 1
        try:
            while missing and page <= MAX_PAGES:
                listed = cms().cards.free(SessionTokenHolder(), partner_id, page=page, limit=PAGE_LIMIT)
                for card in listed.items:
                    if card.card_id in missing:
                        missing.discard(card.card_id)
                        found.add(card.card_id)
                if not listed.items or not listed.has_next:
                    return found
                page += 1
        except cms_errors.SessionEnded:
            raise
        except cms_errors.CapabilityMissing as exc:
            raise CardsUnknown("missing") from exc
        except cms_errors.Forbidden as exc:
            raise CardsUnknown("forbidden") from exc
        except cms_errors.CmsError as exc:
            security_event("upload_cards_unchecked", error_class=type(exc).__name__, partner_id=partner_id)
            raise CardsUnknown("unavailable") from exc
        if missing:
            raise CardsUnknown("unavailable")  # more free cards than pages read: not told, so not guessed
        return found

    return lookup
