"""The filtered trail as rows for CSV and XLSX: readable headers, personal values masked as on the page."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from webapp.activity import trail
from webapp.files.export import ExportValue
from webapp.store.models import AuditEvent
from webapp.textmarks import N_

# English headers; the time column says its zone until the console shows times in the operator's own.
HEADER = (
    N_("Time (UTC)"),
    N_("Operator"),
    N_("Operator ID"),
    N_("Partner"),
    N_("Event"),
    N_("Subject"),
    N_("Outcome"),
    N_("Reason and details"),
    N_("Before"),
    N_("After"),
    N_("Source IP"),
    N_("Request ID"),
    N_("Event ID"),
)


def rows(
    events: Iterable[AuditEvent],
    partner_names: Mapping[int, str],
    translate: Callable[[str], str],
) -> Iterator[list[ExportValue]]:
    for event in events:
        changed = trail.change(event.detail)
        subject = trail.subject_of(event.target)
        yield [
            trail.utc_text(event.occurred_at),
            event.actor_email or "",
            event.actor_id,
            partner_names.get(event.partner_id, str(event.partner_id))
            if event.partner_id is not None
            else "",
            translate(trail.action_label(event.action)),
            f"{subject[0]}:{subject[1]}" if subject else "",
            event.outcome,
            trail.reason(event.detail),
            changed[0] if changed else "",
            changed[1] if changed else "",
            event.source_ip or "",
            event.request_id or "",
            event.id,
        ]
