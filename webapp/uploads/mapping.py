"""Remembered header mappings: the columns an operator assigned once are used again for the partner's next
file with the same headers (or any file whose headers the mapping covers).

A mapping is {file header text → field}. The exact same header row (compared ignoring case, spaces and
accents, as `files.headers` does) is tried first, then other mappings of the partner, newest first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from webapp.files.headers import header_key
from webapp.store import current_store
from webapp.store.uploads import HeaderMapping

MAX_REMEMBERED = 20


def signature(header: Sequence[str]) -> str:
    keys = [header_key(text) for text in header]
    return hashlib.sha256("\x1f".join(key for key in keys if key).encode("utf-8")).hexdigest()


def remembered(partner_id: int, kind: str, header: Sequence[str]) -> list[dict[str, str]]:
    """The partner's mappings for this kind: the one saved for this very header first, then the newest."""
    own = signature(header)
    with current_store().session() as db:
        rows = db.scalars(
            select(HeaderMapping)
            .where(HeaderMapping.partner_id == partner_id, HeaderMapping.kind == kind)
            .order_by(HeaderMapping.updated_at.desc())
            .limit(MAX_REMEMBERED)
        ).all()
        ordered = sorted(rows, key=lambda row: row.signature != own)
        return [dict(row.mapping) for row in ordered]


def remember(
    partner_id: int, kind: str, header: Sequence[str], mapping: Mapping[str, str], operator_id: int
) -> None:
    """Save (or replace) the mapping for this header row of this partner."""
    own = signature(header)
    now = datetime.now(UTC)
    with current_store().session() as db:
        row = db.scalars(
            select(HeaderMapping).where(
                HeaderMapping.partner_id == partner_id,
                HeaderMapping.kind == kind,
                HeaderMapping.signature == own,
            )
        ).first()
        if row is None:
            row = HeaderMapping(partner_id=partner_id, kind=kind, signature=own)
            db.add(row)
        row.mapping, row.updated_at, row.updated_by = dict(mapping), now, operator_id
