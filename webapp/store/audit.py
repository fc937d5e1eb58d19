"""The audit trail: `record_event` for every security-relevant action, `recent_events` to read it back."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from webapp.logging_setup import scrub_value
from webapp.store import chain, current_store
from webapp.store.models import AuditEvent

log = logging.getLogger("webapp.audit")


def _actor() -> tuple[int | None, str | None]:
    if not has_request_context() or not current_user.is_authenticated:
        return None, None
    return current_user.id, current_user.email


def record_event(
    action: str,
    *,
    outcome: str,
    target: str | None = None,
    partner_id: int | None = None,
    detail: dict[str, Any] | None = None,
    actor_id: int | None = None,
    actor_email: str | None = None,
) -> None:
    """Append one audit row (time, request id, source IP and actor filled in) and log the same event.

    A failed write is logged, not raised, whatever the failure: the log line carries the same event, and a
    refusal (403, 404) or an operator's read-only page must not become a 500 because the audit row could not
    be written (a value the driver cannot bind, a store that is down).
    """
    if actor_id is None and actor_email is None:
        actor_id, actor_email = _actor()
    fields = {"action": action, "outcome": outcome, "target": target, "partner_id": partner_id}
    log.info("audit_event", extra={"event": "audit_event", **fields, "actor_id": actor_id})
    in_request = has_request_context()
    try:
        event = AuditEvent(
            occurred_at=datetime.now(UTC),
            actor_id=actor_id,
            actor_email=actor_email,
            partner_id=partner_id,
            action=action,
            target=target,
            outcome=outcome,
            request_id=g.get("request_id") if in_request else None,
            source_ip=request.remote_addr if in_request else None,
            detail=scrub_value(detail) if detail else None,
        )
        store = current_store()
        with chain.append_lock(store.engine), store.session() as db:
            chain.link(db, event)
            db.add(event)
    except Exception:
        log.exception("audit_write_failed", extra={"event": "audit_write_failed", **fields})


def recent_events(
    partner_id: int | None = None, target: str | None = None, limit: int = 50
) -> list[AuditEvent]:
    """Newest first, optionally for one partner and/or one target."""
    query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if partner_id is not None:
        query = query.where(AuditEvent.partner_id == partner_id)
    if target is not None:
        query = query.where(AuditEvent.target == target)
    with current_store().sessions() as db:
        return list(db.scalars(query.limit(max(1, min(limit, 500)))))
