"""What was done to one cardholder through the console, read back from the audit trail for its detail page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

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


@dataclass(frozen=True)
class HistoryEntry:
    occurred_at: datetime
    label: str
    outcome: str
    actor: str
    note: str | None


def _note(detail: dict[str, object] | None) -> str | None:
    """A short, non-sensitive addition: which fields changed, which card, which export format."""
    if not detail:
        return None
    parts: list[str] = []
    fields = detail.get("fields")
    if isinstance(fields, list) and fields:
        parts.append(", ".join(str(f) for f in fields))
    card = detail.get("card_id")
    if card is not None:
        parts.append(f"#{card}")
    return " · ".join(parts) or None


def cardholder_history(partner_id: int, cardholder_id: int) -> list[HistoryEntry]:
    """Newest first; scoped to the partner as well, so one partner's trail never shows on another's page."""
    events = recent_events(partner_id=partner_id, target=target_of(cardholder_id), limit=HISTORY_LIMIT)
    return [
        HistoryEntry(
            occurred_at=event.occurred_at,
            label=ACTION_LABELS.get(event.action, event.action),
            outcome=event.outcome,
            actor=event.actor_email or (f"#{event.actor_id}" if event.actor_id is not None else "—"),
            note=_note(event.detail),
        )
        for event in events
    ]
