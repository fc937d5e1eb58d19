"""Saved views: a list's filters and sort under a name, own or shared with the partner's colleagues."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("owner_email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("list_key", sa.String(40), nullable=False),
        sa.Column("query", sa.String(500), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ux_saved_views_partner_owner_list_name",
        "saved_views",
        ["partner_id", "owner_id", "list_key", "name"],
        unique=True,
    )
    op.create_index("ix_saved_views_partner_shared", "saved_views", ["partner_id", "shared"])


def downgrade() -> None:
    op.drop_index("ix_saved_views_partner_shared", table_name="saved_views")
    op.drop_index("ux_saved_views_partner_owner_list_name", table_name="saved_views")
    op.drop_table("saved_views")
