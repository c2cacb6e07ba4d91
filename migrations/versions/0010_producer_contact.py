"""producers carry the public business contact they publish (producer.contact_published)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("contact_phone", sa.String(length=20)),
    ("contact_zalo", sa.String(length=20)),
    ("contact_website", sa.String(length=300)),
    ("contact_address", sa.String(length=300)),
)


def upgrade() -> None:
    # Empty until a producer publishes its contact: nothing to backfill.
    with op.batch_alter_table("producers", schema=None) as batch_op:
        for name, kind in _COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.add_column(
            sa.Column(
                "contact_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("producers", schema=None) as batch_op:
        batch_op.drop_column("contact_seq")
        for name, _ in reversed(_COLUMNS):
            batch_op.drop_column(name)
