"""The office's pages at a cost that does not grow with the country (issue 17).

stat_batch_ranks and stat_scan_ranks: a product's batches ever and scans ever, in its province
and in the nation (province '*'), each in an index ordered by the total, so the statistics'
top products are the first rows of a range instead of a sum over a row a product
(``stat_counts`` ``batch_totals``, which this revision replaces, and ``stat_scans``).
ix_producers_name_key: the office's producers list in name order, paged by a keyset cursor
instead of an OFFSET that reads every row before the page. Backfilled from the producers'
own rows, as ``traceapp ledger rebuild`` projects them and a fold of the scans adds them.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

def _ranking(table: str, total: str) -> None:
    op.create_table(
        table,
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column(total, sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("province", "product"),
    )
    op.create_index(
        f"ix_{table}_top", table, ["province", sa.text(f"{total} DESC"), "product"]
    )


def upgrade() -> None:
    op.create_index("ix_producers_name_key", "producers", ["name_key", "id"])
    _ranking("stat_batch_ranks", "batches")
    _ranking("stat_scan_ranks", "scans")
    for table, total, select in (
        (
            "stat_batch_ranks",
            "batches",
            "SELECT {place}, k1, SUM(n) FROM stat_counts "
            "WHERE metric = 'batch_totals' AND producer <> '' GROUP BY {group}k1",
        ),
        (
            "stat_scan_ranks",
            "scans",
            "SELECT {place}, product, SUM(scans) FROM stat_scans "
            "WHERE producer <> '' GROUP BY {group}product",
        ),
    ):
        for place, group in (("province", "province, "), ("'*'", "")):
            op.execute(
                f"INSERT INTO {table} (province, product, {total}) "
                + select.format(place=place, group=group)
            )
    op.execute("DELETE FROM stat_counts WHERE metric = 'batch_totals'")


def downgrade() -> None:
    op.execute(
        "INSERT INTO stat_counts (metric, producer, province, commune, k1, k2, k3, n, "
        "amount_milli) SELECT 'batch_totals', producer, province, commune, k2, '', '', SUM(n), 0 "
        "FROM stat_counts WHERE metric = 'batches' GROUP BY producer, province, commune, k2"
    )
    for table in ("stat_scan_ranks", "stat_batch_ranks"):
        op.drop_index(f"ix_{table}_top", table_name=table)
        op.drop_table(table)
    op.drop_index("ix_producers_name_key", table_name="producers")
