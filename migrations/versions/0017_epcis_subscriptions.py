"""EPCIS 2.0 named queries, subscriptions, the delivery outbox, and asynchronous capture jobs

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 22:28:35.428084
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "epcis_named_queries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner_role", sa.String(length=16), nullable=False),
        sa.Column("owner_producer", sa.String(length=32), nullable=True),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epcis_named_queries")),
        sa.UniqueConstraint("name", name=op.f("uq_epcis_named_queries_name")),
    )
    with op.batch_alter_table("epcis_named_queries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_epcis_named_queries_owner_producer"), ["owner_producer"], unique=False
        )

    op.create_table(
        "epcis_subscriptions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("query_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("dest", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=500), nullable=True),
        sa.Column("stream", sa.Boolean(), nullable=False),
        sa.Column("schedule", sa.Text(), nullable=True),
        sa.Column("report_if_empty", sa.Boolean(), nullable=False),
        sa.Column("initial_record_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "planned_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["epcis_named_queries.id"],
            name=op.f("fk_epcis_subscriptions_query_id_epcis_named_queries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epcis_subscriptions")),
        sa.UniqueConstraint("public_id", name=op.f("uq_epcis_subscriptions_public_id")),
    )
    with op.batch_alter_table("epcis_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_epcis_subscriptions_query_id"), ["query_id"], unique=False
        )

    op.create_table(
        "epcis_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "subscription_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "after_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("upto_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column(
            "checkpoint_size",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["epcis_subscriptions.id"],
            name=op.f("fk_epcis_outbox_subscription_id_epcis_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epcis_outbox")),
    )
    with op.batch_alter_table("epcis_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_epcis_outbox_sub_status", ["subscription_id", "status", "id"], unique=False
        )

    with op.batch_alter_table("epcis_capture_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("running", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("document", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column(
            "finished_at", existing_type=sa.DateTime(timezone=True), nullable=True
        )
        batch_op.create_index("ix_epcis_capture_jobs_running", ["running", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("epcis_capture_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_epcis_capture_jobs_running")
        batch_op.alter_column(
            "finished_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("document")
        batch_op.drop_column("running")

    with op.batch_alter_table("epcis_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_epcis_outbox_sub_status")

    op.drop_table("epcis_outbox")
    with op.batch_alter_table("epcis_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epcis_subscriptions_query_id"))

    op.drop_table("epcis_subscriptions")
    with op.batch_alter_table("epcis_named_queries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epcis_named_queries_owner_producer"))

    op.drop_table("epcis_named_queries")
