"""product photos and producer logos: the statement that set each, and its renditions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("photo", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("photo_seq", SEQ, nullable=True))
    with op.batch_alter_table("producers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("logo", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("logo_seq", SEQ, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("producers", schema=None) as batch_op:
        batch_op.drop_column("logo_seq")
        batch_op.drop_column("logo")
        batch_op.drop_column("logo_sha256")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("photo_seq")
        batch_op.drop_column("photo")
        batch_op.drop_column("photo_sha256")
