"""city scale: each dossier's channel (counter, online, postal) and the dashboard's index on
receipt time and service point, and on hand-over time (approved_at)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=False, server_default="counter"))
        batch.create_index(batch.f("ix_dossiers_channel"), ["channel"], unique=False)
        batch.create_index("ix_dossiers_received_point", ["received_at", "service_point_code"], unique=False)
        batch.create_index("ix_dossiers_approved_at", ["approved_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index("ix_dossiers_approved_at")
        batch.drop_index("ix_dossiers_received_point")
        batch.drop_index(batch.f("ix_dossiers_channel"))
        batch.drop_column("channel")
