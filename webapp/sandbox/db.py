"""The sandbox's own SQLite database (its state stands in for Migo's services)."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker


class Base(DeclarativeBase):
    pass


SessionFactory = sessionmaker(expire_on_commit=False)
session = scoped_session(SessionFactory)


def init_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    SessionFactory.configure(bind=engine)
    return engine


def begin_write() -> None:
    """Take SQLite's write lock before reading what a write depends on.

    A deferred transaction that reads, then writes, fails at once with "database is locked" when another
    connection committed in between (WAL cannot upgrade a stale snapshot; the busy timeout does not apply).
    `BEGIN IMMEDIATE` waits for the lock instead, and makes the check and the write one atomic step."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")
