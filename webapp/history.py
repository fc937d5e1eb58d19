"""The history boxes (cardholder, top-up, user pages): audit rows turned into lines an operator can read.

One presenter for every box, so each says the same thing the same way: a label instead of the action code,
field names as the forms label them, the reason given, before → after (masked where personal), the card by
its masked number where the page knows it, and repeated views by one person collapsed into one line.
Writers store masked values only (`masked_fields` here); the lines mask again with the Activity page's
`mask_value` (webapp/activity/trail.py), so a value stored before masking existed is never shown whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from webapp.activity.trail import action_label, mask_value
from webapp.cardholders.masking import DOT, mask_document, mask_email, mask_phone
from webapp.store.models import AuditEvent
from webapp.textmarks import N_

# API field name → the label its form shows (catalog keys, translated in the template).
FIELD_LABELS: Final = {
    "name": N_("Name"),
    "lastName": N_("Last name"),
    "address": N_("Address"),
    "countryOfBirth": N_("Country of birth"),
    "dateOfBirth": N_("Date of birth"),
    "maritalStatus": N_("Marital status"),
    "gender": N_("Gender"),
    "phoneNumber": N_("Phone number"),
    "email": N_("Email"),
    "documentType": N_("Document type"),
    "documentNumber": N_("Document number"),
    "status": N_("Status"),
}
# Refusal codes some writers put in `reason` (webapp/permissions/views.py), as sentences.
REASON_CODES: Final = {
    "self": N_("Nobody changes their own permissions."),
    "escalation": N_("Beyond the permissions of the operator who asked."),
}
# Events that only look at something: a run of them by one person collapses into one line with a count.
VIEW_ACTIONS: Final = frozenset(
    {"process_request_evidence_viewed", "cardholder_pii_reveal", "activity_viewed"}
)
COLLAPSE_WINDOW: Final = timedelta(minutes=5)


def _initial(value: str) -> str:
    """Free text (names, addresses): the first character only."""
    return f"{value[:1]}{DOT * 3}" if value else ""


def _birth_year(value: str) -> str:
    return f"{value[:4]}-{DOT * 2}-{DOT * 2}" if len(value) >= 4 else DOT * 3


_MASKS: Final = {
    "name": _initial,
    "lastName": _initial,
    "address": _initial,
    "phoneNumber": mask_phone,
    "email": mask_email,
    "documentNumber": mask_document,
    "dateOfBirth": _birth_year,
}


def masked_fields(values: Mapping[str, Any]) -> dict[str, str]:
    """Values as the trail may keep them: personal ones masked here, before they reach the store."""
    out: dict[str, str] = {}
    for name, value in values.items():
        text = "" if value is None else str(value)
        out[name] = _MASKS[name](text) if name in _MASKS else mask_value(text)
    return out


@dataclass(frozen=True)
class Change:
    field: str  # catalog key (a form label) or, for an unknown field, its API name
    before: str
    after: str


@dataclass(frozen=True)
class HistoryLine:
    occurred_at: datetime
    action: str
    label: str
    outcome: str
    actor: str
    actor_id: int | None = None
    fields: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()
    reason: str = ""
    reason_is_code: bool = False  # a REASON_CODES sentence (translated), not the operator's own words
    granted: tuple[str, ...] = ()
    revoked: tuple[str, ...] = ()
    card: str = ""
    count: int = 1
    first_at: datetime | None = None  # the oldest of a collapsed run


_ORDER: Final = {name: position for position, name in enumerate(FIELD_LABELS)}


def _in_form_order(names: Iterable[Any]) -> list[str]:
    return sorted((str(n) for n in names), key=lambda n: _ORDER.get(n, len(_ORDER)))


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


def _changes(detail: Mapping[str, Any]) -> tuple[Change, ...]:
    before, after = detail.get("before"), detail.get("after")
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        # Masked again on the way out (idempotent on what the writers stored), in the forms' field order.
        was, now = masked_fields(before), masked_fields(after)
        names = _in_form_order(set(was) | set(now))
        return tuple(Change(field_label(n), was.get(n, ""), now.get(n, "")) for n in names)
    if isinstance(before, str | int) and isinstance(after, str | int):
        return (Change("", mask_value(before), mask_value(after)),)
    return ()


def _keys(value: Any) -> tuple[str, ...]:
    return tuple(mask_value(v) for v in value) if isinstance(value, list | tuple) else ()


def _reason(detail: Mapping[str, Any]) -> str:
    given = detail.get("reason")
    if not isinstance(given, str) or not given:
        return ""
    return REASON_CODES.get(given, mask_value(given))


def _card(detail: Mapping[str, Any], cards: Mapping[int, str]) -> str:
    card_id = detail.get("card_id")
    if not isinstance(card_id, int):
        return ""
    return cards.get(card_id) or f"#{card_id}"


def line_of(event: AuditEvent, labels: Mapping[str, str], cards: Mapping[int, str]) -> HistoryLine:
    detail: Mapping[str, Any] = event.detail or {}
    fields = detail.get("fields") or detail.get("changed")
    changes = _changes(detail)
    # Permission lists before/after are long; what was granted and revoked says the same, shorter.
    if event.action == "permissions_change":
        changes = ()
    return HistoryLine(
        occurred_at=event.occurred_at,
        action=event.action,
        label=labels.get(event.action) or action_label(event.action),
        outcome=event.outcome,
        actor=event.actor_email or (f"#{event.actor_id}" if event.actor_id is not None else "—"),
        actor_id=event.actor_id,
        fields=tuple(field_label(f) for f in _in_form_order(fields)) if isinstance(fields, list) else (),
        changes=changes,
        reason=_reason(detail),
        reason_is_code=detail.get("reason") in REASON_CODES,
        granted=_keys(detail.get("granted")),
        revoked=_keys(detail.get("revoked")),
        card=_card(detail, cards),
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _joins(run: HistoryLine, line: HistoryLine) -> bool:
    """`line` (older) belongs to `run`: the same view by the same person, within the window of its newest."""
    return (
        line.action in VIEW_ACTIONS
        and line.action == run.action
        and line.outcome == run.outcome
        and (line.actor_id, line.actor) == (run.actor_id, run.actor)
        and _aware(run.occurred_at) - _aware(line.occurred_at) <= COLLAPSE_WINDOW
    )


def collapse(lines: Iterable[HistoryLine]) -> list[HistoryLine]:
    """Newest-first lines with consecutive repeats of a view folded into the newest, counted."""
    out: list[HistoryLine] = []
    for line in lines:
        if out and _joins(out[-1], line):
            out[-1] = replace(out[-1], count=out[-1].count + 1, first_at=line.occurred_at)
        else:
            out.append(line)
    return out


def history_lines(
    events: Sequence[AuditEvent],
    labels: Mapping[str, str] | None = None,
    cards: Mapping[int, str] | None = None,
) -> list[HistoryLine]:
    """Lines for a history box, newest first; `labels` are the page's own names for its actions."""
    return collapse(line_of(event, labels or {}, cards or {}) for event in events)
