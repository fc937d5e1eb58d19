"""The saved_views table: created by migration 0006 on SQLite and PostgreSQL, one name per operator and list,
and removed again by its downgrade."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.unit.console.test_store import postgres_schema  # noqa: F401  (fixture)
from webapp.store import HERE, create_store, migrate
from webapp.store.saved_views import SavedView

COLUMNS = {
    "id",
    "partner_id",
    "owner_id",
    "owner_email",
    "name",
    "list_key",
    "query",
    "shared",
    "created_at",
}


def _view(**changes: object) -> SavedView:
    values: dict[str, object] = {
        "partner_id": 1,
        "owner_id": 7,
        "owner_email": "ana@demo.migo",
        "name": "Active",
        "list_key": "cardholders",
        "query": "status=active",
        "shared": False,
        "created_at": datetime.now(UTC),
    }
    values.update(changes)
    return SavedView(**values)


def _check_table(engine: Engine) -> None:
    inspector = inspect(engine)
    assert {c["name"] for c in inspector.get_columns("saved_views")} == COLUMNS
    unique = [i for i in inspector.get_indexes("saved_views") if i["unique"]]
    assert [i["column_names"] for i in unique] == [["partner_id", "owner_id", "list_key", "name"]]
    with Session(engine) as db, db.begin():
        db.add(_view())
        db.add(_view(list_key="users"))  # the same name on another list
        db.add(_view(owner_id=8))  # the same name for a colleague
        db.add(_view(partner_id=2))  # the same name on another partner
    with pytest.raises(IntegrityError), Session(engine) as db, db.begin():
        db.add(_view(shared=True))


def _downgrade_to_0006(engine: Engine) -> None:
    config = AlembicConfig(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
        connection.commit()


def test_sqlite_creates_and_drops_the_table(tmp_path: Path) -> None:
    engine = create_store(f"sqlite:///{tmp_path / 'console.sqlite3'}").engine
    migrate(engine)
    _check_table(engine)
    _downgrade_to_0006(engine)
    assert "saved_views" not in inspect(engine).get_table_names()
    migrate(engine)  # and up again
    assert "saved_views" in inspect(engine).get_table_names()


def test_postgres_creates_and_drops_the_table(postgres_schema: str) -> None:  # noqa: F811
    engine = create_store(postgres_schema).engine
    migrate(engine)
    _check_table(engine)
    _downgrade_to_0006(engine)
    assert "saved_views" not in inspect(create_engine(postgres_schema)).get_table_names()
