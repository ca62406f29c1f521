"""a component's position unique within its dossier; counter keys bound to a service point

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("components") as batch:
        batch.create_unique_constraint("uq_components_dossier_position", ["dossier_id", "position"])
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("service_point_code", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("service_point_code")
    with op.batch_alter_table("components") as batch:
        batch.drop_constraint("uq_components_dossier_position", type_="unique")
