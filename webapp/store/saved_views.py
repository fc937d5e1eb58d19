"""Saved views: a list's filters and sort kept under a name, for the operator or shared with colleagues of the
same partner. Kept in the console store, not the browser, so a colleague (and any node) sees them too.

The query is stored already reduced to what its list accepts (webapp/saved_views/lists.py): never a page
number, never the cardholder search id (the search text itself lives only in one session).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, Index, String, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from webapp.store import current_store
from webapp.store.models import Numbered

NAME_MAX = 60
# Enough for a sidebar; the oldest beyond it are not shown (they stay stored and can still be deleted).
SHOWN_MAX = 40


class SavedView(Numbered):
    __tablename__ = "saved_views"

    partner_id: Mapped[int]
    owner_id: Mapped[int]
    owner_email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    list_key: Mapped[str] = mapped_column(String(40))
    query: Mapped[str] = mapped_column(String(500))
    shared: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime]

    __table_args__ = (
        Index(
            "ux_saved_views_partner_owner_list_name",
            "partner_id",
            "owner_id",
            "list_key",
            "name",
            unique=True,
        ),
        Index("ix_saved_views_partner_shared", "partner_id", "shared"),
    )


class DuplicateName(Exception):
    """The operator already has a view of this name on this list for this partner."""


def save(
    *, partner_id: int, owner_id: int, owner_email: str, name: str, list_key: str, query: str, shared: bool
) -> SavedView:
    view = SavedView(
        partner_id=partner_id,
        owner_id=owner_id,
        owner_email=owner_email,
        name=name,
        list_key=list_key,
        query=query,
        shared=shared,
        created_at=datetime.now(UTC),
    )
    try:
        with current_store().session() as db:
            db.add(view)
    except IntegrityError as exc:  # the unique index decides, so two nodes saving at once cannot both win
        raise DuplicateName(name) from exc
    return view


def visible(partner_id: int, operator_id: int) -> list[SavedView]:
    """The operator's own views on this partner and the ones colleagues shared there: own first, by name."""
    query = (
        select(SavedView)
        .where(SavedView.partner_id == partner_id)
        .where(or_(SavedView.owner_id == operator_id, SavedView.shared.is_(True)))
        .order_by(SavedView.created_at.desc())
        .limit(SHOWN_MAX)
    )
    with current_store().sessions() as db:
        found = list(db.scalars(query))
    return sorted(found, key=lambda v: (v.owner_id != operator_id, v.name.casefold(), v.id))


def delete_own(partner_id: int, operator_id: int, view_id: int) -> SavedView | None:
    """Delete the operator's own view on this partner; None (nothing deleted) for anyone else's or none."""
    with current_store().session() as db:
        view = db.scalars(
            select(SavedView)
            .where(SavedView.id == view_id)
            .where(SavedView.partner_id == partner_id)
            .where(SavedView.owner_id == operator_id)
        ).first()
        if view is None:
            return None
        db.delete(view)
    return view
