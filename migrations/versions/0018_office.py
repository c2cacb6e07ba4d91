"""producers: search keys (no diacritics, any case), suspension, and the index of each
producer's history (producer.updated, producer.suspended, producer.resumed)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 23:00:00
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _key(value: str | None) -> str | None:
    # The rule of ``traceapp.i18n.search_key`` as of this revision, kept here so the backfill
    # does not change when the app's does (a later change backfills in its own revision).
    if value is None:
        return None
    bare = "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c))
    return " ".join(bare.casefold().replace("đ", "d").split())


_UNIT_WORDS = ("thanh pho ", "tp.", "tp ", "tinh ", "dac khu ", "thi tran ", "phuong ", "xa ")


def _place(value: str | None) -> str | None:
    # ``traceapp.i18n.place_key`` as of this revision.
    key = _key(value)
    if not key:
        return key
    for word in _UNIT_WORDS:
        if key.startswith(word) and len(key) > len(word):
            return key[len(word) :].lstrip(" .")
    return key


def upgrade() -> None:
    with op.batch_alter_table("producers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("province_key", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("commune_key", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("name_key", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("suspended_seq", _BIG, nullable=True))
    producers = sa.table(
        "producers",
        sa.column("id", _BIG),
        sa.column("name", sa.String),
        sa.column("province", sa.String),
        sa.column("commune", sa.String),
        sa.column("ledger_seq", _BIG),
        sa.column("name_key", sa.String),
        sa.column("province_key", sa.String),
        sa.column("commune_key", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            producers.c.id,
            producers.c.name,
            producers.c.province,
            producers.c.commune,
            producers.c.ledger_seq,
        )
    ).all()
    for row in rows:
        bind.execute(
            producers.update()
            .where(producers.c.id == row.id)
            .values(
                name_key=_key(row.name),
                province_key=_place(row.province),
                commune_key=_place(row.commune),
            )
        )
    with op.batch_alter_table("producers", schema=None) as batch_op:
        batch_op.alter_column("province_key", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("name_key", existing_type=sa.String(length=300), nullable=False)
        batch_op.create_index("ix_producers_province_key", ["province_key", "commune_key"])
        batch_op.create_index("ix_producers_commune_key", ["commune_key"])
    op.create_table(
        "producer_changes",
        sa.Column("seq", _BIG, primary_key=True, autoincrement=False),
        sa.Column("producer_id", _BIG, sa.ForeignKey("producers.id"), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_producer_changes_producer_id", "producer_changes", ["producer_id"])
    # Before this revision the only history statement was the registration.
    changes = sa.table(
        "producer_changes",
        sa.column("seq", _BIG),
        sa.column("producer_id", _BIG),
        sa.column("type", sa.String),
    )
    if rows:
        op.bulk_insert(
            changes,
            [{"seq": r.ledger_seq, "producer_id": r.id, "type": "producer.registered"} for r in rows],
        )


def downgrade() -> None:
    op.drop_index("ix_producer_changes_producer_id", table_name="producer_changes")
    op.drop_table("producer_changes")
    with op.batch_alter_table("producers", schema=None) as batch_op:
        batch_op.drop_index("ix_producers_commune_key")
        batch_op.drop_index("ix_producers_province_key")
        batch_op.drop_column("suspended_seq")
        batch_op.drop_column("name_key")
        batch_op.drop_column("commune_key")
        batch_op.drop_column("province_key")
