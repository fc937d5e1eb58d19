"""Permission-audit snapshots (filled in by the access-control feature)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "audit_snapshots",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_email", sa.String(254), nullable=True),
        sa.Column("scope_key", sa.String(200), nullable=False),
        sa.Column("partner_ids", sa.JSON(), nullable=False),
        sa.Column("dormant_days", sa.Integer(), nullable=False),
        sa.Column("user_count", sa.Integer(), nullable=False),
        sa.Column("grant_count", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_snapshots_scope_created", "audit_snapshots", ["scope_key", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_snapshots_scope_created", table_name="audit_snapshots")
    op.drop_table("audit_snapshots")
