"""The office at national scale (issue 17).

products.name_key: the name filter's search key (no diacritics, any case), backfilled.
stat_counts: certificates not revoked counted by the month and by the year they end
(``cert_months``, ``cert_years``), so the certificates in force today are three short ranges
of rows instead of a row a day since the first certificate; a total of batches a product
(``batch_totals``) to rank the capacity on instead of a row a product and month; and the index
those ranges read. Backfilled from the day rows of certificates and the month rows of batches
at every level (producers, communes, provinces), as ``traceapp ledger rebuild`` projects them.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 05:10:00
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _key(value: str) -> str:
    # The rule of ``traceapp.i18n.search_key`` as of this revision, kept here so the backfill
    # does not change when the app's does (a later change backfills in its own revision).
    bare = "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c))
    return " ".join(bare.casefold().replace("đ", "d").split())


def _name_keys() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    # SQLite cannot make a column NOT NULL in place, and a batch copy of ``products`` is refused
    # by the foreign keys of certifications and batches: there the column comes NOT NULL with
    # an empty default (the projections always set it), then filled.
    if sqlite:
        column = sa.Column("name_key", sa.String(length=300), nullable=False, server_default="")
    else:
        column = sa.Column("name_key", sa.String(length=300), nullable=True)
    op.add_column("products", column)
    products = sa.table(
        "products", sa.column("id", _BIG), sa.column("name_vi"), sa.column("name_key")
    )
    for row in bind.execute(sa.select(products.c.id, products.c.name_vi)).all():
        bind.execute(
            products.update().where(products.c.id == row.id).values(name_key=_key(row.name_vi))
        )
    if not sqlite:
        op.alter_column(
            "products", "name_key", existing_type=sa.String(length=300), nullable=False
        )


_INSERT = (
    "INSERT INTO stat_counts (metric, producer, province, commune, k1, k2, k3, n, amount_milli) "
)


def upgrade() -> None:
    _name_keys()
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
    op.drop_column("products", "name_key")  # in place on both engines (SQLite ≥ 3.35)
