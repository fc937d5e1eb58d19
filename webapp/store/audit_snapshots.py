"""Permission-audit snapshots: each audit run is kept, so the next one can say what changed since.

A snapshot holds what the upstream answered (users and their grants per partner) at `created_at`; flags are
computed from it when it is shown, so an improved rule also applies to old snapshots. `scope_key` names
the set of partners audited: only snapshots of the same scope are compared.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column

from webapp.store import current_store
from webapp.store.models import Numbered


class AuditSnapshot(Numbered):
    __tablename__ = "audit_snapshots"

    created_at: Mapped[datetime]
    actor_id: Mapped[int | None]
    actor_email: Mapped[str | None] = mapped_column(String(254))
    scope_key: Mapped[str] = mapped_column(String(200))
    partner_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False)
    dormant_days: Mapped[int]
    user_count: Mapped[int]
    grant_count: Mapped[int]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)

    __table_args__ = (Index("ix_audit_snapshots_scope_created", "scope_key", "created_at"),)


SCOPE_KEY_MAX = 200  # the column's width (migration 0004)


def scope_key_for(partner_ids: list[int]) -> str:
    """The partners' ids in order; a scope too long for the column (an operator of a hundred partners) is
    named by the digest of that list instead, so the same partners always get the same key."""
    listed = ",".join(str(pid) for pid in sorted(set(partner_ids)))
    if len(listed) <= SCOPE_KEY_MAX:
        return listed
    return "sha256:" + hashlib.sha256(listed.encode()).hexdigest()


def save_snapshot(
    *,
    partner_ids: list[int],
    dormant_days: int,
    data: dict[str, Any],
    actor_id: int | None,
    actor_email: str | None,
    user_count: int,
    grant_count: int,
    created_at: datetime | None = None,
) -> AuditSnapshot:
    row = AuditSnapshot(
        created_at=created_at or datetime.now(UTC),
        actor_id=actor_id,
        actor_email=actor_email,
        scope_key=scope_key_for(partner_ids),
        partner_ids=sorted(set(partner_ids)),
        dormant_days=dormant_days,
        user_count=user_count,
        grant_count=grant_count,
        data=data,
    )
    with current_store().session() as db:
        db.add(row)
    return row


def snapshot_of_run(
    partner_ids: list[int], actor_id: int | None, created_at: datetime
) -> AuditSnapshot | None:
    """The snapshot a run already saved: a run (an audit job) saves with the moment it was asked for, so a
    retried assembly finds its own snapshot instead of saving a second one."""
    query = select(AuditSnapshot).where(
        AuditSnapshot.scope_key == scope_key_for(partner_ids),
        AuditSnapshot.actor_id == actor_id,
        AuditSnapshot.created_at == created_at,
    )
    with current_store().sessions() as db:
        return db.scalars(query.limit(1)).first()


def get_snapshot(snapshot_id: int) -> AuditSnapshot | None:
    with current_store().sessions() as db:
        return db.get(AuditSnapshot, snapshot_id)


def previous_snapshot(snapshot: AuditSnapshot) -> AuditSnapshot | None:
    """The latest earlier run over the same partners (ids break ties between runs in the same instant)."""
    query = (
        select(AuditSnapshot)
        .where(AuditSnapshot.scope_key == snapshot.scope_key, AuditSnapshot.id < snapshot.id)
        .order_by(AuditSnapshot.id.desc())
        .limit(1)
    )
    with current_store().sessions() as db:
        return db.scalars(query).first()


def recent_snapshots(partner_id: int, limit: int = 20) -> list[AuditSnapshot]:
    """Newest first, every scope that includes `partner_id` (filtered in Python: JSON containment is not
    portable between SQLite and PostgreSQL)."""
    query = select(AuditSnapshot).order_by(AuditSnapshot.id.desc()).limit(500)
    with current_store().sessions() as db:
        rows = [row for row in db.scalars(query) if partner_id in (row.partner_ids or [])]
    return rows[:limit]
