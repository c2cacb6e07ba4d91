"""A province's scans of every product by month (issue 17): ``stat_scans`` rows of producer and
product '*', so the scans by province read a row a province and month instead of a row a
product. Backfilled from the provinces' rows of each product, as a fold of the scans adds them.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 12:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO stat_scans (producer, province, product, month, scans, signals) "
        "SELECT '*', province, '*', month, SUM(scans), SUM(signals) FROM stat_scans "
        "WHERE producer = '' GROUP BY province, month"
    )


def downgrade() -> None:
    op.execute("DELETE FROM stat_scans WHERE producer = '*'")
