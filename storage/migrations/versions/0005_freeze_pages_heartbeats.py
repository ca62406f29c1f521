"""approval freeze; a page queued once; dispatcher heartbeats

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("approval_token", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("approval_started_at", sa.DateTime(timezone=True), nullable=True))
    # Parallel submits could queue a dossier's pages several times: keep the first of each page
    # (page results are keyed by content, so nothing read is lost), then forbid it.
    first = 'SELECT MIN(id) FROM pages GROUP BY component_id, "index"'
    op.execute(f"DELETE FROM jobs WHERE page_id NOT IN ({first})")
    op.execute(f"DELETE FROM pages WHERE id NOT IN ({first})")
    with op.batch_alter_table("pages") as batch:
        batch.create_unique_constraint("uq_pages_component_index", ["component_id", "index"])
    op.create_table(
        "dispatchers",
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_dispatchers")),
    )
    op.create_index(op.f("ix_dispatchers_beat_at"), "dispatchers", ["beat_at"])


def downgrade() -> None:
    op.drop_index("ix_dispatchers_beat_at", table_name="dispatchers")
    op.drop_table("dispatchers")
    with op.batch_alter_table("pages") as batch:
        batch.drop_constraint("uq_pages_component_index", type_="unique")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("approval_started_at")
        batch.drop_column("approval_token")
