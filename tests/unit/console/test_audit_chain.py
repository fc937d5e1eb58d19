"""The audit trail's hash chain: verify, tampering caught (a row edited or deleted), archive then verify."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from webapp.activity.archive import verify_file
from webapp.store import chain, current_store
from webapp.store.audit import record_event
from webapp.store.models import AuditEvent


def _append(app: Flask, action: str, when: datetime, **fields: object) -> None:
    """An event at a chosen time (record_event always stamps now), chained like any other."""
    with app.app_context():
        store = current_store()
        event = AuditEvent(occurred_at=when, action=action, outcome="success", **fields)
        with chain.append_lock(store.engine), store.session() as db:
            chain.link(db, event)
            db.add(event)


def _cli(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["audit-trail", *args])
    return result.exit_code, result.output


def _ids(app: Flask) -> list[int]:
    with app.app_context(), current_store().engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT id FROM audit_events ORDER BY id"))]


def _fill(app: Flask, count: int = 5) -> None:
    with app.test_request_context("/"):
        for number in range(count):
            record_event(
                "cardholder_update",
                outcome="success",
                target=f"cardholder:{number}",
                partner_id=1,
                detail={"fields": ["email"], 2: "int key", "when": datetime(2026, 1, 1, tzinfo=UTC)},
            )


def test_an_untouched_trail_verifies(bare_app: Flask) -> None:
    _fill(bare_app)
    code, output = _cli(bare_app, "verify")
    assert code == 0, output
    assert "OK: 5 events" in output


def test_an_edited_row_is_named(bare_app: Flask) -> None:
    _fill(bare_app)
    ids = _ids(bare_app)
    with bare_app.app_context(), current_store().engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET outcome = 'failure' WHERE id = :id"), {"id": ids[2]})
    code, output = _cli(bare_app, "verify")
    assert code == 1
    assert f"BROKEN at event {ids[2]}: content changed" in output


def test_an_edited_row_with_its_hash_recomputed_breaks_the_next_link(bare_app: Flask) -> None:
    _fill(bare_app)
    ids = _ids(bare_app)
    with bare_app.app_context():
        store = current_store()
        with store.session() as db:
            event = db.get(AuditEvent, ids[1])
            assert event is not None
            assert event.prev_hash is not None
            event.actor_email = "someone.else@test.migo"
            event.row_hash = chain.row_hash(event.prev_hash, event)
    code, output = _cli(bare_app, "verify")
    assert code == 1
    assert f"BROKEN at event {ids[2]}: link broken" in output


def test_a_deleted_row_is_caught_at_the_next_one(bare_app: Flask) -> None:
    _fill(bare_app)
    ids = _ids(bare_app)
    with bare_app.app_context(), current_store().engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[3]})
    code, output = _cli(bare_app, "verify")
    assert code == 1
    assert f"BROKEN at event {ids[4]}: link broken" in output


def test_deleting_the_oldest_rows_is_caught(bare_app: Flask) -> None:
    _fill(bare_app)
    ids = _ids(bare_app)
    with bare_app.app_context(), current_store().engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id <= :id"), {"id": ids[1]})
    code, output = _cli(bare_app, "verify")
    assert code == 1
    assert f"BROKEN at event {ids[2]}" in output


def test_archive_moves_old_events_to_a_file_and_the_rest_still_verifies(
    bare_app: Flask, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    for days in (500, 450, 420):
        _append(bare_app, "sign_in", now - timedelta(days=days), actor_email=f"old{days}@test.migo")
    _append(bare_app, "sign_in", now - timedelta(days=10), actor_email="recent@test.migo")
    _fill(bare_app, 2)
    before = (now - timedelta(days=400)).date().isoformat()
    code, output = _cli(bare_app, "archive", "--before", before, "--directory", str(tmp_path / "archive"))
    assert code == 0, output
    assert "Archived 3 events" in output
    (archived,) = (tmp_path / "archive").glob("audit-trail-through-*.jsonl")
    lines = archived.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert header["anchor"] == chain.GENESIS
    assert header["count"] == 3
    assert [json.loads(line)["actor_email"] for line in lines[1:]] == [
        f"old{d}@test.migo" for d in (500, 450, 420)
    ]
    assert verify_file(archived).ok
    with bare_app.app_context(), current_store().sessions() as db:
        emails = [e.actor_email for e in db.query(AuditEvent).order_by(AuditEvent.id)]
    assert "recent@test.migo" in emails
    assert not any(str(e).startswith("old") for e in emails)
    code, output = _cli(bare_app, "verify")
    assert code == 0, output
    with bare_app.app_context(), current_store().sessions() as db:
        actions = [e.action for e in db.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions[-1] == "audit_trail_archived"  # the run is itself an event, chained after the kept rows
    assert _cli(bare_app, "verify", "--file", str(archived))[0] == 0


def test_an_edited_archive_file_is_caught(bare_app: Flask, tmp_path: Path) -> None:
    _append(bare_app, "sign_in", datetime.now(UTC) - timedelta(days=900), actor_email="a@test.migo")
    _append(bare_app, "sign_in", datetime.now(UTC) - timedelta(days=800), actor_email="b@test.migo")
    assert _cli(bare_app, "archive", "--directory", str(tmp_path))[0] == 0  # default: 400 days ago
    (archived,) = tmp_path.glob("*.jsonl")
    archived.write_text(
        archived.read_text(encoding="utf-8").replace("b@test.migo", "c@test.migo"), encoding="utf-8"
    )
    code, output = _cli(bare_app, "verify", "--file", str(archived))
    assert code == 1
    assert "content changed" in output


def test_a_broken_trail_is_not_archived(bare_app: Flask, tmp_path: Path) -> None:
    _append(bare_app, "sign_in", datetime.now(UTC) - timedelta(days=900), actor_email="a@test.migo")
    _append(bare_app, "sign_in", datetime.now(UTC) - timedelta(days=800), actor_email="b@test.migo")
    with bare_app.app_context(), current_store().engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET action = 'sign_out'"))
    code, output = _cli(bare_app, "archive", "--directory", str(tmp_path))
    assert code == 1
    assert "REFUSED" in output
    assert list(tmp_path.glob("*.jsonl")) == []
    assert len(_ids(bare_app)) == 2


def test_the_retention_setting_picks_the_default_cut(bare_app: Flask, tmp_path: Path) -> None:
    assert bare_app.config["AUDIT_TRAIL_RETENTION_DAYS"] == 400
    bare_app.config["AUDIT_TRAIL_RETENTION_DAYS"] = 30
    _append(bare_app, "sign_in", datetime.now(UTC) - timedelta(days=40), actor_email="a@test.migo")
    _append(bare_app, "sign_in", datetime.now(UTC) - timedelta(days=20), actor_email="b@test.migo")
    code, output = _cli(bare_app, "archive", "--directory", str(tmp_path))
    assert code == 0, output
    assert "Archived 1 events" in output


def rows_written_before_0006_are_chained(url: str) -> None:
    """Rows written by a console at revision 0005 get their hashes from migration 0006, and verify."""
    from alembic import command
    from alembic.config import Config

    from webapp.store import HERE, create_store, migrate

    store = create_store(url)
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
        for number in range(3):
            connection.execute(
                text(
                    "INSERT INTO audit_events (occurred_at, action, outcome, partner_id, actor_id, detail) "
                    "VALUES (:at, 'card_block', 'success', 1, 7, :detail)"
                ),
                {"at": datetime(2026, 1, 1 + number, tzinfo=UTC), "detail": json.dumps({"card_id": number})},
            )
    migrate(store.engine)
    with store.sessions() as db:
        verdict = chain.verify(db)
        hashes = [e.row_hash for e in db.query(AuditEvent).order_by(AuditEvent.id)]
    store.engine.dispose()
    assert verdict.ok, verdict
    assert verdict.checked == 3
    assert all(hashes)


def test_the_migration_chains_rows_written_before_it(tmp_path: Path) -> None:
    rows_written_before_0006_are_chained(f"sqlite:///{tmp_path / 'old.sqlite3'}")


def test_concurrent_appends_stay_one_chain(bare_app: Flask) -> None:
    """Requests write events at the same time: appends are serialised, so no two rows share a parent."""
    import threading

    def writer(number: int) -> None:
        with bare_app.test_request_context("/"):
            for step in range(15):
                record_event(
                    "card_block", outcome="success", target=f"cardholder:{number}{step}", partner_id=1
                )

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    code, output = _cli(bare_app, "verify")
    assert code == 0, output
    assert "OK: 60 events" in output
