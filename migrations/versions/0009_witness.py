"""witnessing: our witness's view of each log, cosignatures of our checkpoints, push status,
the pusher's lease

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "witnessed_logs",
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("size", BIGINT, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("origin", name=op.f("pk_witnessed_logs")),
    )
    op.create_table(
        "checkpoint_cosignatures",
        sa.Column("log", sa.String(length=255), nullable=False),
        sa.Column("size", BIGINT, nullable=False),
        sa.Column("witness", sa.String(length=255), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("timestamp", BIGINT, nullable=False),
        sa.PrimaryKeyConstraint("log", "size", "witness", name=op.f("pk_checkpoint_cosignatures")),
    )
    op.create_table(
        "witness_push_status",
        sa.Column("witness", sa.String(length=255), nullable=False),
        sa.Column("size", BIGINT, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("witness", name=op.f("pk_witness_push_status")),
    )
    op.create_table(
        "witness_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_witness_leases")),
    )


def downgrade() -> None:
    for table in ("witness_leases", "witness_push_status", "checkpoint_cosignatures"):
        op.drop_table(table)
    op.drop_table("witnessed_logs")
