"""Bulk upload history: uploads, their row notes, sent business keys (digests) and remembered mappings."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("file_type", sa.String(10), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sheet", sa.String(100), nullable=True),
        sa.Column("mapping", sa.JSON(), nullable=True),
        sa.Column("extra_columns", sa.JSON(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("valid", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("duplicate", sa.Integer(), nullable=False),
        sa.Column("issues_omitted", sa.Integer(), nullable=False),
        sa.Column("same_file_as", sa.Integer(), nullable=True),
        sa.Column("staging_ref", sa.String(32), nullable=True),
        sa.Column("submission_key", sa.String(64), nullable=False),
        sa.Column("policy", sa.String(20), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("batch_id", sa.String(64), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_rows", sa.Integer(), nullable=False),
        sa.Column("source_rows", sa.JSON(), nullable=True),
        sa.Column("upstream_total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("succeeded", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reader_lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reader_token", sa.String(32), nullable=True),
        sa.Column("results_fetched", sa.Boolean(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.String(300), nullable=True),
    )
    op.create_index("ix_uploads_partner_created", "uploads", ["partner_id", "created_at"])
    op.create_index("ix_uploads_partner_sha", "uploads", ["partner_id", "sha256"])
    op.create_table(
        "upload_notes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("upload_id", sa.Integer(), sa.ForeignKey("uploads.id", ondelete="CASCADE"), nullable=False),
        sa.Column("phase", sa.String(10), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("field", sa.String(40), nullable=True),
        sa.Column("code", sa.String(12), nullable=True),
        sa.Column("message", sa.String(300), nullable=True),
        sa.Column("shown", sa.String(80), nullable=True),
        sa.Column("first_row", sa.Integer(), nullable=True),
        sa.Column("cardholder_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_upload_notes_upload_phase_row", "upload_notes", ["upload_id", "phase", "row"])
    op.create_table(
        "upload_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), sa.ForeignKey("uploads.id", ondelete="CASCADE"), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_upload_keys_partner_digest", "upload_keys", ["partner_id", "digest"])
    op.create_index("ix_upload_keys_upload_row", "upload_keys", ["upload_id", "row"])
    op.create_table(
        "upload_mappings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ux_upload_mappings_partner_kind_sig",
        "upload_mappings",
        ["partner_id", "kind", "signature"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_upload_mappings_partner_kind_sig", table_name="upload_mappings")
    op.drop_table("upload_mappings")
    op.drop_index("ix_upload_keys_upload_row", table_name="upload_keys")
    op.drop_index("ix_upload_keys_partner_digest", table_name="upload_keys")
    op.drop_table("upload_keys")
    op.drop_index("ix_upload_notes_upload_phase_row", table_name="upload_notes")
    op.drop_table("upload_notes")
    op.drop_index("ix_uploads_partner_sha", table_name="uploads")
    op.drop_index("ix_uploads_partner_created", table_name="uploads")
    op.drop_table("uploads")
