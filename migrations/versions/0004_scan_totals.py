"""scan totals: per-item scan counts kept with each scan; scans indexed by item and time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_totals",
        sa.Column("item_public_id", sa.String(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clients", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_public_id", name=op.f("pk_scan_totals")),
    )
    op.create_table(
        "scan_clients",
        sa.Column("item_public_id", sa.String(length=32), nullable=False),
        sa.Column("client", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("item_public_id", "client", name=op.f("pk_scan_clients")),
    )
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scans_item_public_id"))
        batch_op.create_index(
            "ix_scans_item_time",
            ["item_public_id", "scanned_at", "id", "client", "result"],
            unique=False,
        )
    # The scans recorded so far.
    op.execute(
        "INSERT INTO scan_clients (item_public_id, client) "
        "SELECT DISTINCT item_public_id, client FROM scans"
    )
    op.execute(
        "INSERT INTO scan_totals (item_public_id, count, first_at, clients) "
        "SELECT item_public_id, COUNT(*), MIN(scanned_at), COUNT(DISTINCT client) "
        "FROM scans GROUP BY item_public_id"
    )


def downgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index("ix_scans_item_time")
        batch_op.create_index(
            batch_op.f("ix_scans_item_public_id"), ["item_public_id"], unique=False
        )
    op.drop_table("scan_clients")
    op.drop_table("scan_totals")
