"""What was done to one cardholder through the console, read back from the audit trail for its detail page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from webapp.history import HistoryLine, history_lines
from webapp.store.audit import recent_events
from webapp.textmarks import N_

# Audit actions this feature writes, with the English label the page shows (translated in the template).
ACTION_LABELS: Final = {
    "cardholder_create": N_("Created"),
    "cardholder_update": N_("Edited"),
    "cardholder_close": N_("Closed"),
    "cardholder_pii_reveal": N_("Personal data revealed"),
    "card_activate": N_("Card activated"),
    "card_block": N_("Card blocked"),
    "card_unblock": N_("Card unblocked"),
}
HISTORY_LIMIT: Final = 50


def target_of(cardholder_id: int) -> str:
    """The audit `target` every event about this cardholder carries."""
    return f"cardholder:{cardholder_id}"


def cardholder_history(
    partner_id: int, cardholder_id: int, cards: Mapping[int, str] | None = None
) -> list[HistoryLine]:
    """Newest first; scoped to the partner as well, so one partner's trail never shows on another's page.

    `cards` (card id → masked number) names the card a card action touched, as the page shows it.
    """
    events = recent_events(partner_id=partner_id, target=target_of(cardholder_id), limit=HISTORY_LIMIT)
    return history_lines(events, ACTION_LABELS, cards)
