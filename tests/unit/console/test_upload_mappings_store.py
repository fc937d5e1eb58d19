"""Remembered header mappings (webapp/uploads/mapping.py): one row per partner, kind and header row, replaced
when the operator assigns the columns of the same header again."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from webapp.store import current_store
from webapp.store.uploads import HeaderMapping
from webapp.uploads.mapping import remember, remembered

HEADER = ["Tipo", "Número", "Tarjeta"]


def test_a_mapping_is_saved_once_and_replaced_by_the_next(app: Flask) -> None:
    first = {"Tipo": "documentType", "Número": "documentNumber", "Tarjeta": "cardId"}
    second = {"Tipo": "documentType", "Número": "cardId", "Tarjeta": "documentNumber"}
    with app.app_context():
        remember(3, "cards", HEADER, first, operator_id=7)
        assert remembered(3, "cards", HEADER) == [first]
        remember(3, "cards", [" tipo ", "NUMERO", "tarjeta"], second, operator_id=8)
        assert remembered(3, "cards", HEADER) == [second]
        assert remembered(4, "cards", HEADER) == []
        with current_store().session() as db:
            rows = db.scalars(select(HeaderMapping)).all()
            assert [(row.partner_id, row.kind, row.updated_by) for row in rows] == [(3, "cards", 8)]
            assert rows[0].updated_at is not None
