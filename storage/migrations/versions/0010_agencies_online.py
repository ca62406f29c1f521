"""agencies and the national system: the agencies' event feed (the webhooks' outbox), webhooks
and their delivery log; per-key rate limits (online intake); a dossier's external reference
and package revision (re-sent after a correction)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "agency_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("agency_code", sa.String(length=64), nullable=False),
        sa.Column("dossier_id", _ID, nullable=False),
        sa.Column("dossier_code", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["agency_code"], ["agencies.code"], name=op.f("fk_agency_events_agency_code_agencies")),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"], name=op.f("fk_agency_events_dossier_id_dossiers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_agency_events_event_id")),
    )
    op.create_index("ix_agency_events_agency_id", "agency_events", ["agency_code", "id"])
    op.create_index(op.f("ix_agency_events_dossier_id"), "agency_events", ["dossier_id"])
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("agency_code", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agency_code"], ["agencies.code"], name=op.f("fk_webhooks_agency_code_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
        sa.UniqueConstraint("public_id", name=op.f("uq_webhooks_public_id")),
    )
    op.create_index(op.f("ix_webhooks_agency_code"), "webhooks", ["agency_code"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _ID, nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("dossier_id", _ID, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["webhooks.id"], name=op.f("fk_webhook_deliveries_webhook_id_webhooks")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["agency_events.id"], name=op.f("fk_webhook_deliveries_event_id_agency_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("webhook_id", "event_id", name=op.f("uq_webhook_deliveries_webhook_id")),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["state", "next_attempt_at"])
    op.create_index(
        "ix_webhook_deliveries_order", "webhook_deliveries", ["webhook_id", "dossier_id", "state", "event_id"]
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("per_minute", sa.Integer(), nullable=True))
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("external_reference", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("package_revision", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("package_manifest_sha256", sa.String(length=64), nullable=True))
    # Dossiers handed over before this revision have their one package.
    op.execute("UPDATE dossiers SET package_revision = 1 WHERE package_prefix IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("package_manifest_sha256")
        batch.drop_column("package_revision")
        batch.drop_column("external_reference")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("per_minute")
    op.drop_index("ix_webhook_deliveries_order", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index(op.f("ix_webhooks_agency_code"), table_name="webhooks")
    op.drop_table("webhooks")
    op.drop_index(op.f("ix_agency_events_dossier_id"), table_name="agency_events")
    op.drop_index("ix_agency_events_agency_id", table_name="agency_events")
    op.drop_table("agency_events")
