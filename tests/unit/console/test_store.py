"""The console store: migrations on SQLite and PostgreSQL, and the audit trail written and read back."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import OperationalError

from webapp.store import HERE, create_store, migrate
from webapp.store.audit import recent_events, record_event

# Each test works in a throw-away schema of this database; CONSOLE_TEST_POSTGRES_URL points elsewhere.
POSTGRES_URL = os.environ.get(
    "CONSOLE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _head_revision() -> str:
    """The newest migration in the tree: a restart must land exactly there."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(HERE / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _columns(url: str) -> set[str]:
    return {column["name"] for column in inspect(create_engine(url)).get_columns("audit_events")}


def test_sqlite_migrations_are_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'console.sqlite3'}"
    store = create_store(url)
    migrate(store.engine)
    migrate(store.engine)  # a restart applies nothing twice
    with store.engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == _head_revision()
    assert {
        "id",
        "occurred_at",
        "actor_id",
        "actor_email",
        "partner_id",
        "action",
        "target",
        "outcome",
        "request_id",
        "source_ip",
        "detail",
    } <= _columns(url)


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A throw-away schema on the shared PostgreSQL; FAIL in CI when it is missing, SKIP elsewhere."""
    admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is required in CI and is not reachable: {exc}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is not reachable (start it, or run in CI)")
    schema = f"console_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_postgres_migrations_from_two_nodes_at_once(postgres_schema: str) -> None:
    """Two nodes starting together: the advisory lock makes the second wait, and neither fails."""
    failures: list[BaseException] = []

    def start_node() -> None:
        try:
            migrate(create_store(postgres_schema).engine)
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    nodes = [threading.Thread(target=start_node) for _ in range(2)]
    for node in nodes:
        node.start()
    for node in nodes:
        node.join(timeout=60)
    assert failures == []
    engine = create_engine(postgres_schema)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == _head_revision()
    assert "detail" in _columns(postgres_schema)


def test_record_event_fills_request_facts_and_reads_back_newest_first(bare_app: Flask) -> None:
    with bare_app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.0.0.7"}):
        from flask import g

        g.request_id = "req-audit-0001"
        record_event(
            "cardholder_viewed",
            outcome="success",
            target="cardholder:9",
            partner_id=1,
            actor_id=42,
            actor_email="ana@demo.migo",
            detail={"otp": "123456", "fields": ["email"]},
        )
        record_event(
            "cardholder_closed",
            outcome="success",
            target="cardholder:9",
            partner_id=1,
            actor_id=42,
            actor_email="ana@demo.migo",
        )
        record_event(
            "user_created",
            outcome="success",
            target="user:5",
            partner_id=2,
            actor_id=7,
            actor_email="diego@demo.migo",
        )
        events = recent_events(partner_id=1)
        assert [e.action for e in events] == ["cardholder_closed", "cardholder_viewed"]
        viewed = events[1]
        assert viewed.request_id == "req-audit-0001"
        assert viewed.source_ip == "10.0.0.7"
        assert viewed.occurred_at is not None
        assert viewed.detail == {"otp": "[redacted]", "fields": ["email"]}  # no secret in the trail either
        assert [e.action for e in recent_events(target="user:5")] == ["user_created"]
        assert len(recent_events(limit=1)) == 1


def test_the_actor_defaults_to_the_signed_in_operator(bare_app: Flask) -> None:
    from flask_login import login_user

    from webapp.access import Operator, PartnerRef

    with bare_app.test_request_context("/"):
        login_user(Operator(7, "diego@demo.migo", "Diego", True, True, (PartnerRef(1, "Banco"),), {}))
        record_event("partner_switch", outcome="success", partner_id=1)
        (event,) = recent_events()
        assert (event.actor_id, event.actor_email) == (7, "diego@demo.migo")
