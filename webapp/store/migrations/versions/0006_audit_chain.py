"""Tamper evidence for the audit trail: hash columns, the archive anchor, existing rows chained, and on
PostgreSQL a trigger that refuses UPDATE, DELETE and TRUNCATE of trail rows.

Only `flask --app wsgi audit-trail archive` deletes rows: it sets `migo.audit_trail_archive = 'on'` for its
own transaction (SET LOCAL), which the trigger accepts for DELETE only. SQLite has no such guard; there the
verifier (`flask --app wsgi audit-trail verify`) is the check.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('migo.audit_trail_archive', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""


def _chain_existing_rows() -> None:
    """Hash the rows already written, oldest first. Reads the columns this revision knows (not the ORM model,
    which later revisions may extend); the hashing is the running code's (webapp/store/chain.py)."""
    from webapp.store import chain

    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer()),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("actor_id", sa.Integer()),
        sa.column("actor_email", sa.String()),
        sa.column("partner_id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("target", sa.String()),
        sa.column("outcome", sa.String()),
        sa.column("request_id", sa.String()),
        sa.column("source_ip", sa.String()),
        sa.column("detail", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("row_hash", sa.String()),
    )
    bind = op.get_bind()
    previous = chain.GENESIS
    rows = bind.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    for row in rows:
        content = dict(row)
        content["detail"] = chain.json_safe(content["detail"])
        digest = chain.content_hash(previous, content)
        bind.execute(
            events.update()
            .where(events.c.id == row["id"])
            .values(detail=content["detail"], prev_hash=previous, row_hash=digest)
        )
        previous = digest


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(64), nullable=True))
        batch.create_index("ix_audit_events_actor_occurred", ["actor_id", "occurred_at"])
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("through_id", sa.Integer(), nullable=False),
        sa.Column("anchor_hash", sa.String(64), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archive_name", sa.String(200), nullable=False),
    )
    _chain_existing_rows()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    op.drop_table("audit_anchor")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_actor_occurred")
        batch.drop_column("row_hash")
        batch.drop_column("prev_hash")
