"""preflight result stored with each file; confirmations; idempotency keys; one word for sources

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("components") as batch:
        batch.add_column(sa.Column("file_info", sa.JSON(), nullable=True))
    with op.batch_alter_table("review_edits") as batch:
        batch.add_column(sa.Column("action", sa.String(length=16), nullable=False, server_default="correct"))
    # `provenance` said what `sources` says: the first source. A reviewer's value has source "reviewer".
    op.execute("UPDATE fields SET sources = '[\"reviewer\"]' WHERE provenance = 'reviewer'")
    with op.batch_alter_table("fields") as batch:
        batch.drop_column("provenance")
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(length=256), primary_key=True),
        sa.Column("key", sa.String(length=200), primary_key=True),
        sa.Column("operation", sa.String(length=300), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("fields") as batch:
        batch.add_column(sa.Column("provenance", sa.String(length=16), nullable=False, server_default="ocr"))
    with op.batch_alter_table("review_edits") as batch:
        batch.drop_column("action")
    with op.batch_alter_table("components") as batch:
        batch.drop_column("file_info")
