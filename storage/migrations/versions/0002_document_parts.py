"""documents within a file (parts) and field verification results

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("components") as batch:
        batch.add_column(sa.Column("parts", sa.JSON(), nullable=True))
    with op.batch_alter_table("fields") as batch:
        batch.add_column(sa.Column("part", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("sources", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("reason", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("detail", sa.JSON(), nullable=True))
        batch.drop_constraint("uq_fields_component_name", type_="unique")
        batch.create_unique_constraint("uq_fields_component_part_name", ["component_id", "part", "name"])


def downgrade() -> None:
    with op.batch_alter_table("fields") as batch:
        batch.drop_constraint("uq_fields_component_part_name", type_="unique")
        batch.create_unique_constraint("uq_fields_component_name", ["component_id", "name"])
        batch.drop_column("detail")
        batch.drop_column("reason")
        batch.drop_column("sources")
        batch.drop_column("part")
    with op.batch_alter_table("components") as batch:
        batch.drop_column("parts")
