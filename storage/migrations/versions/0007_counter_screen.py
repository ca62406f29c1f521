"""the counter screen: quality check, clerk's rotation and kind, applicant details, missing
documents' reason, the draft open on each workstation

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("components") as batch:
        batch.add_column(sa.Column("quality", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("rotation", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("declared_kind", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("declared_document", sa.String(length=300), nullable=True))
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("applicant_birth_date", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("applicant_address", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("received_by", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("missing_reason", sa.Text(), nullable=True))
    op.create_table(
        "workstations",
        sa.Column("identity", sa.String(length=256), nullable=False),
        sa.Column("dossier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_workstations_dossier_id_dossiers"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("identity", name=op.f("pk_workstations")),
    )


def downgrade() -> None:
    op.drop_table("workstations")
    with op.batch_alter_table("dossiers") as batch:
        for column in ("missing_reason", "received_by", "applicant_address", "applicant_birth_date"):
            batch.drop_column(column)
    with op.batch_alter_table("components") as batch:
        for column in ("declared_document", "declared_kind", "rotation", "quality"):
            batch.drop_column(column)
