"""The month metrics' rows by month (issue 17): ``ix_stat_counts_months`` on (metric, producer,
commune, k1), so the items and events of the last twelve months, and the batches of the
capacity's export, are a range of rows however many months the ledger has run.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 15:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_stat_counts_months", "stat_counts", ["metric", "producer", "commune", "k1"]
    )


def downgrade() -> None:
    op.drop_index("ix_stat_counts_months", table_name="stat_counts")
