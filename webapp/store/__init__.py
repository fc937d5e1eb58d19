"""The console store: one SQLAlchemy engine per app, SQLite by default, PostgreSQL when scaled out.

Migrations run at start-up. On PostgreSQL they run under an advisory lock, so nodes that start together wait
for each other instead of racing to create the same tables.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

HERE = Path(__file__).resolve().parent
# Any fixed 64-bit number shared by every node; derived from the text "migo-console-migrations".
MIGRATION_LOCK_KEY = 0x6D69676F636D7367


@dataclass(frozen=True)
class Store:
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on error."""
        with self.sessions() as db, db.begin():
            yield db


def create_store(url: str) -> Store:
    parsed = make_url(url)
    options: dict[str, Any] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        options["pool_pre_ping"] = True
    engine = create_engine(parsed, **options)
    return Store(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


@contextmanager
def sqlite_file_lock(engine: Engine, purpose: str) -> Iterator[None]:
    """One process at a time for `purpose` on a SQLite file shared by the workers of one node (a lock file
    beside the database); nothing to hold for another database or an in-memory one."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.{purpose}.lock", "a+b") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision (idempotent, safe when several processes start at once)."""
    # gunicorn workers of one node start together: they migrate one at a time.
    with sqlite_file_lock(engine, "migrate"):
        _upgrade(engine)


def _upgrade(engine: Engine) -> None:
    alembic_cfg = AlembicConfig(str(HERE / "alembic.ini"))
    alembic_cfg.set_main_option("script_location", str(HERE / "migrations"))
    with engine.connect() as connection:
        locked = connection.dialect.name == "postgresql"
        if locked:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
        try:
            alembic_cfg.attributes["connection"] = connection
            command.upgrade(alembic_cfg, "head")
            connection.commit()
        finally:
            if locked:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                connection.commit()


def init_app(app: Flask) -> Store:
    store = create_store(str(app.config["DATABASE_URL"]))
    if app.config.get("STORE_MIGRATE_ON_START", True):
        migrate(store.engine)
    app.extensions["store"] = store
    return store


def current_store() -> Store:
    store: Store = current_app.extensions["store"]
    return store
