"""stat_counts: rows that keep the office's national figures bounded (issue 17). Certificates
not revoked counted by the month and by the year they end (``cert_months``, ``cert_years``),
so the certificates in force today are three short ranges of rows instead of a row a day since
the first certificate; a total of batches a product (``batch_totals``) to rank the capacity on
instead of a row a product and month; and the index those ranges read. Backfilled from the
day rows and the month rows of batches at every level (producers, communes, provinces), as
``traceapp ledger rebuild`` would project them.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 05:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_INSERT = (
    "INSERT INTO stat_counts (metric, producer, province, commune, k1, k2, k3, n, amount_milli) "
)


def upgrade() -> None:
    op.create_index("ix_stat_counts_ranges", "stat_counts", ["metric", "producer", "commune", "k3"])
    for metric, length in (("cert_months", 7), ("cert_years", 4)):
        op.execute(
            _INSERT + f"SELECT '{metric}', producer, province, commune, k1, k2, "
            f"substr(k3, 1, {length}), SUM(n), SUM(amount_milli) FROM stat_counts "
            "WHERE metric = 'certificates' AND k3 <> 'revoked' "
            f"GROUP BY producer, province, commune, k1, k2, substr(k3, 1, {length})"
        )
    op.execute(
        _INSERT + "SELECT 'batch_totals', producer, province, commune, k2, '', '', SUM(n), 0 "
        "FROM stat_counts WHERE metric = 'batches' GROUP BY producer, province, commune, k2"
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM stat_counts WHERE metric IN ('cert_months', 'cert_years', 'batch_totals')"
    )
    op.drop_index("ix_stat_counts_ranges", table_name="stat_counts")
