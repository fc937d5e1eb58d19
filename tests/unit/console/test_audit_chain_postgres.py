"""On PostgreSQL the trail is append-only for the console's own role: UPDATE, DELETE and TRUNCATE are refused
by the trigger migration 0006 installs; only the archive command's own transaction may delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.unit.console.test_audit_chain import rows_written_before_0006_are_chained
from tests.unit.console.test_store import postgres_schema  # noqa: F401  (fixture)
from webapp import create_app
from webapp.store import chain, current_store
from webapp.store.models import AuditEvent


@pytest.fixture
def pg_app(postgres_schema: str, tmp_path: Path) -> Flask:  # noqa: F811
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "s" * 40,
            "DATABASE_URL": postgres_schema,
        }
    )


def _append(app: Flask, when: datetime, email: str) -> None:
    with app.app_context():
        store = current_store()
        event = AuditEvent(occurred_at=when, action="sign_in", outcome="success", actor_email=email)
        with chain.append_lock(store.engine), store.session() as db:
            chain.link(db, event)
            db.add(event)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET outcome = 'failure'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ],
)
def test_the_console_role_cannot_change_trail_rows(pg_app: Flask, statement: str) -> None:
    _append(pg_app, datetime.now(UTC), "a@test.migo")
    engine = create_engine(str(pg_app.config["DATABASE_URL"]))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 1
    engine.dispose()


def test_archive_deletes_through_the_trigger_and_verify_passes(pg_app: Flask, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    _append(pg_app, now - timedelta(days=500), "old@test.migo")
    _append(pg_app, now - timedelta(days=1), "new@test.migo")
    runner = pg_app.test_cli_runner()
    archived = runner.invoke(args=["audit-trail", "archive", "--directory", str(tmp_path / "archive")])
    assert archived.exit_code == 0, archived.output
    assert "Archived 1 events" in archived.output
    verified = runner.invoke(args=["audit-trail", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "OK: 2 events" in verified.output  # the kept row and the archive run's own event


def test_the_migration_chains_rows_written_before_it(postgres_schema: str) -> None:  # noqa: F811
    rows_written_before_0006_are_chained(postgres_schema)
