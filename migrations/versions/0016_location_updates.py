"""locations: ``updated_seq``, the entry that last changed a place (``location.updated``)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.add_column(sa.Column("updated_seq", SEQ, nullable=True))
    # Every place so far was only registered: its registration is its last change.
    op.execute("UPDATE locations SET updated_seq = ledger_seq")
    with op.batch_alter_table("locations") as batch:
        batch.alter_column("updated_seq", existing_type=SEQ, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("updated_seq")
