"""scan totals: per-item scan counts and per-client latest scans kept with each scan; scans
indexed by item and time

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
        sa.Column("scans", sa.BigInteger(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("item_public_id", "client", name=op.f("pk_scan_clients")),
    )
    with op.batch_alter_table("scan_clients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scan_clients_item_last", ["item_public_id", "last_at"], unique=False
        )
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scans_item_public_id"))
        batch_op.create_index(
            "ix_scans_item_time",
            ["item_public_id", "scanned_at", "id", "client", "result"],
            unique=False,
        )
    # The scans recorded so far: each client's count, latest scan and latest claim.
    latest = (
        "SELECT item_public_id, client, scanned_at, id, COUNT(*) OVER w AS n, "
        "ROW_NUMBER() OVER (w ORDER BY scanned_at DESC, id DESC) AS rn FROM scans {where} "
        "WINDOW w AS (PARTITION BY item_public_id, client)"
    )
    every, claims = latest.format(where=""), latest.format(where="WHERE result = 'claimed'")
    op.execute(
        "INSERT INTO scan_clients "
        "(item_public_id, client, scans, last_at, last_id, claimed_at, claimed_id) "
        "SELECT s.item_public_id, s.client, s.n, s.scanned_at, s.id, c.scanned_at, c.id "
        f"FROM ({every}) AS s LEFT JOIN ({claims}) AS c "
        "ON c.item_public_id = s.item_public_id AND c.client = s.client AND c.rn = 1 "
        "WHERE s.rn = 1"
    )
    op.execute(
        "INSERT INTO scan_totals (item_public_id, count, first_at, clients) "
        "SELECT item_public_id, COUNT(*), MIN(scanned_at), COUNT(DISTINCT client) "
        "FROM scans GROUP BY item_public_id"
    )


def downgrade() -> None:
    with op.batch_alter_table("scan_clients", schema=None) as batch_op:
        batch_op.drop_index("ix_scan_clients_item_last")
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index("ix_scans_item_time")
        batch_op.create_index(
            batch_op.f("ix_scans_item_public_id"), ["item_public_id"], unique=False
        )
    op.drop_table("scan_clients")
    op.drop_table("scan_totals")
