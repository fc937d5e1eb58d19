"""Reading the audit trail for the Activity page and its export: filters from the URL, one query, pages.

Every filter lives in the query string (operator by numeric id, never an email), is validated here, and an
invalid value is dropped with a message rather than widening or failing the search. Kinds group the actions
the features write (grep `record_event(` under webapp/); an action no kind names still shows under "All".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from webapp.formatting import display_zone
from webapp.parsing import parse_id, parse_page
from webapp.store import current_store
from webapp.store.models import AuditEvent
from webapp.textmarks import N_

PAGE_SIZE: Final = 50
EXPORT_LIMIT: Final = 50_000

# kind → (English label, the actions it covers). Labels are marked for the catalog, translated when shown.
KINDS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "sign_in": (
        N_("Sign-in and sign-out"),
        ("sign_in", "sign_in_otp", "sign_out", "session_expired", "session_ended"),
    ),
    "step_up": (N_("Step-up codes"), ("step_up", "step_up_code_sent")),
    "pii_reveal": (N_("Personal data revealed"), ("cardholder_pii_reveal",)),
    "cardholder": (
        N_("Cardholder created, edited, closed"),
        ("cardholder_create", "cardholder_update", "cardholder_close"),
    ),
    "card": (N_("Card actions"), ("card_activate", "card_block", "card_unblock")),
    "upload": (
        N_("Bulk uploads"),
        ("bulk_upload_checked", "bulk_upload_submitted", "bulk_upload_report_downloaded", "uploads_purged"),
    ),
    "top_up": (
        N_("Top-up requests"),
        (
            "process_request_created",
            "process_request_approve",
            "process_request_reject",
            "process_request_cancel",
            "process_request_evidence_viewed",
        ),
    ),
    "permissions": (
        N_("Users and permissions"),
        ("permissions_change", "permission_create", "cms_user_create", "cms_user_update", "cms_user_status"),
    ),
    "saved_view": (N_("Saved views"), ("saved_view_create", "saved_view_delete")),
    "export": (
        N_("Exports"),
        (
            "cardholder_export",
            "permission_audit_export",
            "activity_exported",
            "bulk_upload_report_downloaded",
        ),
    ),
    "audit": (
        N_("Audits and trail views"),
        ("permission_audit_run", "activity_viewed", "audit_trail_archived"),
    ),
    "denied": (N_("Access denied"), ("authz_denied", "partner_switch")),
}
OUTCOMES: Final = (
    "success",
    "failure",
    "denied",
    "refused",
    "locked",
    "rate_limited",
    "inactive",
    "unknown",
    "ended",
)
ACTION_LABELS: Final = {
    "sign_in": N_("Sign-in"),
    "sign_in_otp": N_("Sign-in code"),
    "sign_out": N_("Sign-out"),
    "session_expired": N_("Session expired"),
    "session_ended": N_("Session ended"),
    "step_up": N_("Step-up"),
    "step_up_code_sent": N_("Step-up code sent"),
    "cardholder_pii_reveal": N_("Personal data revealed"),
    "cardholder_create": N_("Cardholder created"),
    "cardholder_update": N_("Cardholder edited"),
    "cardholder_close": N_("Cardholder closed"),
    "cardholder_export": N_("Cardholders exported"),
    "card_activate": N_("Card activated"),
    "card_block": N_("Card blocked"),
    "card_unblock": N_("Card unblocked"),
    "bulk_upload_checked": N_("Upload checked"),
    "bulk_upload_submitted": N_("Upload sent"),
    "bulk_upload_report_downloaded": N_("Upload report downloaded"),
    "uploads_purged": N_("Uploads purged"),
    "process_request_created": N_("Top-up requested"),
    "process_request_approve": N_("Top-up approved"),
    "process_request_reject": N_("Top-up rejected"),
    "process_request_cancel": N_("Top-up cancelled"),
    "process_request_evidence_viewed": N_("Top-up evidence viewed"),
    "permissions_change": N_("Permissions changed"),
    "permission_create": N_("Permission created"),
    "cms_user_create": N_("User created"),
    "cms_user_update": N_("User edited"),
    "cms_user_status": N_("User status changed"),
    "permission_audit_run": N_("Permission audit run"),
    "permission_audit_export": N_("Permission audit exported"),
    "activity_viewed": N_("Activity viewed"),
    "activity_exported": N_("Activity exported"),
    "audit_trail_archived": N_("Trail archived"),
    "authz_denied": N_("Access denied"),
    "partner_switch": N_("Partner switch"),
    "saved_view_create": N_("Saved view created"),
    "saved_view_delete": N_("Saved view deleted"),
}
SUBJECT_TYPES: Final = ("cardholder", "cms_user", "process_request", "upload", "audit_snapshot")
_SUBJECT: Final = re.compile(rf"({'|'.join(SUBJECT_TYPES)}):([0-9]{{1,10}})")


@dataclass(frozen=True)
class Filters:
    operator: int | None = None
    kind: str = ""
    outcome: str = ""
    subject: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)
    scope: str = ""  # "all": every partner whose trail the reader may see

    @property
    def active(self) -> bool:
        return bool(
            self.operator or self.kind or self.outcome or self.subject or self.date_from or self.date_to
        )

    def params(self, **changes: Any) -> dict[str, Any]:
        """The query string that reproduces these filters (empty ones left out), with `changes` applied."""
        values: dict[str, Any] = {
            "scope": self.scope,
            "operator": self.operator,
            "kind": self.kind,
            "outcome": self.outcome,
            "subject": self.subject,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}


_FIRST_DAY: Final = date(1970, 1, 1)
_LAST_DAY: Final = date(9000, 12, 31)  # far enough; the day after still fits in a datetime


def _day(raw: str | None) -> date | None:
    """A `YYYY-MM-DD` day (what a date input sends), or None."""
    if not raw or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if _FIRST_DAY <= day <= _LAST_DAY else None


def parse_filters(args: Mapping[str, str]) -> Filters:
    errors: dict[str, str] = {}
    operator: int | None = None
    raw_operator = (args.get("operator") or "").strip()
    if raw_operator:
        operator = parse_id(raw_operator)
        if operator is None:
            errors["operator"] = N_("Choose an operator from the list.")
    kind = args.get("kind") or ""
    if kind and kind not in KINDS:
        errors["kind"], kind = N_("Choose a kind from the list."), ""
    outcome = args.get("outcome") or ""
    if outcome and outcome not in OUTCOMES:
        errors["outcome"], outcome = N_("Choose an outcome from the list."), ""
    subject = (args.get("subject") or "").strip()
    if subject and not _SUBJECT.fullmatch(subject):
        errors["subject"], subject = (
            N_("Give a subject as shown in the list, for example cardholder:123."),
            "",
        )
    dates: dict[str, date | None] = {}
    for name in ("from", "to"):
        dates[name] = _day(args.get(name))
        if args.get(name) and dates[name] is None:
            errors[name] = N_("Give a date as YYYY-MM-DD.")
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        errors["to"] = "The end date is before the start date."
        dates["to"] = None
    page = parse_page(args.get("page"))
    scope = "all" if args.get("scope") == "all" else ""
    return Filters(operator, kind, outcome, subject, dates["from"], dates["to"], page, errors, scope)


@dataclass(frozen=True)
class Scope:
    """Which rows the reader may see: these partners, and partner-less events only for an administrator."""

    partner_ids: tuple[int, ...]
    include_unscoped: bool


def _visible(scope: Scope) -> ColumnElement[bool]:
    by_partner = AuditEvent.partner_id.in_(scope.partner_ids)
    return or_(by_partner, AuditEvent.partner_id.is_(None)) if scope.include_unscoped else by_partner


def _conditions(scope: Scope, filters: Filters) -> list[ColumnElement[bool]]:
    conditions = [_visible(scope)]
    if filters.operator is not None:
        conditions.append(AuditEvent.actor_id == filters.operator)
    if filters.kind:
        conditions.append(AuditEvent.action.in_(KINDS[filters.kind][1]))
    if filters.outcome:
        conditions.append(AuditEvent.outcome == filters.outcome)
    if filters.subject:
        conditions.append(AuditEvent.target == filters.subject)
    # Days are the console's display days (webapp/formatting.py), the ones the page shows beside each event.
    zone = display_zone()
    if filters.date_from:
        start = datetime.combine(filters.date_from, time.min, zone).astimezone(UTC)
        conditions.append(AuditEvent.occurred_at >= start)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, zone).astimezone(UTC)
        conditions.append(AuditEvent.occurred_at < end)
    return conditions


def _query(scope: Scope, filters: Filters) -> Select[AuditEvent]:
    return (
        select(AuditEvent)
        .where(and_(*_conditions(scope, filters)))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )


@dataclass(frozen=True)
class TrailPage:
    items: list[AuditEvent]
    page: int
    total: int
    page_size: int = PAGE_SIZE

    @property
    def total_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def search(scope: Scope, filters: Filters) -> TrailPage:
    with current_store().sessions() as db:
        total = (
            db.scalar(select(func.count()).select_from(AuditEvent).where(and_(*_conditions(scope, filters))))
            or 0
        )
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(filters.page, pages)
        items = list(db.scalars(_query(scope, filters).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return TrailPage(items, page, total)


def iter_all(scope: Scope, filters: Filters) -> Iterator[AuditEvent]:
    """Every matching row for an export, newest first, up to EXPORT_LIMIT."""
    with current_store().sessions() as db:
        query = _query(scope, filters).limit(EXPORT_LIMIT).execution_options(yield_per=500)
        yield from db.scalars(query)


def operators_seen(scope: Scope) -> list[tuple[int, str]]:
    """The operators the reader could filter by: everyone with an event they may see (newest email kept)."""
    with current_store().sessions() as db:
        rows = db.execute(
            select(AuditEvent.actor_id, func.max(AuditEvent.actor_email))
            .where(_visible(scope), AuditEvent.actor_id.is_not(None))
            .group_by(AuditEvent.actor_id)
            .order_by(func.max(AuditEvent.actor_email))
            .limit(500)
        ).all()
    return [(int(actor_id or 0), str(email or f"#{actor_id}")) for actor_id, email in rows]


# -- what a row shows ---------------------------------------------------------------------------------------

_EMAIL: Final = re.compile(r"^([^@\s])[^@\s]*(@[^@\s]+)$")
_DIGITS: Final = re.compile(r"\d{6,}")
# Detail keys whose values are personal (or may be): never shown in full.
_PERSONAL_KEYS: Final = frozenset(
    {
        "email",
        "phone",
        "phoneNumber",
        "documentNumber",
        "document",
        "name",
        "firstName",
        "lastName",
        "address",
    }
)


def mask_value(value: Any) -> str:
    """A detail value safe to show and export: e-mails as `e***@domain`, digit runs cut to the last four."""
    if isinstance(value, list | tuple):
        return ", ".join(mask_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={mask_value(v)}" for k, v in sorted(value.items()))
    text = "" if value is None else str(value)
    found = _EMAIL.match(text)
    if found:
        return f"{found.group(1)}***{found.group(2)}"
    return _DIGITS.sub(lambda m: "•" * (len(m.group()) - 4) + m.group()[-4:], text)


def _shown(key: str, value: Any) -> str:
    return "•••" if key in _PERSONAL_KEYS else mask_value(value)


def change(detail: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """(before, after) when the event recorded both."""
    if not detail or "before" not in detail or "after" not in detail:
        return None
    return _shown("before", detail["before"]), _shown("after", detail["after"])


def reason(detail: Mapping[str, Any] | None) -> str:
    """The rest of the detail as `key: value` pairs, masked; before/after are shown in their own column."""
    if not detail:
        return ""
    parts = [
        f"{key}: {_shown(key, value)}"
        for key, value in sorted(detail.items())
        if key not in ("before", "after")
    ]
    return "; ".join(parts)


def subject_of(target: str | None) -> tuple[str, int] | None:
    """(type, id) of a typed subject (`cardholder:12`); None for the rest (e-mails of sign-in attempts)."""
    found = _SUBJECT.fullmatch(target or "")
    return (found.group(1), int(found.group(2))) if found else None


def utc_text(moment: datetime) -> str:
    """`YYYY-MM-DD HH:MM:SS` in UTC, as exports write every time (the page shows the display zone)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def kind_choices() -> Sequence[tuple[str, str]]:
    return [(key, label) for key, (label, _actions) in KINDS.items()]
