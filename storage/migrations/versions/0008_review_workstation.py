"""the review workstation: claims, field versions, green lane, the public look-up key, page
rotation and a reviewer's document split, supplement requests (send-back)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("green_lane", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("claimed_by", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("lookup_key", sa.String(length=32), nullable=True))
        batch.create_index(batch.f("ix_dossiers_claimed_by"), ["claimed_by"], unique=False)
    with op.batch_alter_table("fields") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("rotation", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("components") as batch:
        batch.add_column(sa.Column("reviewed_parts", sa.JSON(), nullable=True))
    op.create_table(
        "supplement_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("dossier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_supplement_requests_dossier_id_dossiers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplement_requests")),
    )
    with op.batch_alter_table("supplement_requests") as batch:
        batch.create_index(batch.f("ix_supplement_requests_dossier_id"), ["dossier_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("supplement_requests") as batch:
        batch.drop_index(batch.f("ix_supplement_requests_dossier_id"))
    op.drop_table("supplement_requests")
    with op.batch_alter_table("components") as batch:
        batch.drop_column("reviewed_parts")
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("rotation")
    with op.batch_alter_table("fields") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index(batch.f("ix_dossiers_claimed_by"))
        for column in ("lookup_key", "claimed_at", "claimed_by", "green_lane"):
            batch.drop_column(column)
