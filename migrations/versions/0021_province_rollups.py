"""stat_counts: a province-level roll-up row (commune '*') beside each commune's, so that a
national or provincial figure reads a few rows a province instead of one a commune (issue 17:
the office's statistics must not grow with the data). Backfilled from the communes' roll-ups,
as ``traceapp ledger rebuild`` would project them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 03:05:00
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO stat_counts (metric, producer, province, commune, k1, k2, k3, n, amount_milli) "
        "SELECT metric, '', province, '*', k1, k2, k3, SUM(n), SUM(amount_milli) "
        "FROM stat_counts WHERE producer = '' AND commune <> '*' "
        "GROUP BY metric, province, k1, k2, k3"
    )


def downgrade() -> None:
    op.execute("DELETE FROM stat_counts WHERE producer = '' AND commune = '*'")
