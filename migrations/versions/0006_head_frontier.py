"""the log's head keeps its Merkle frontier: an append reads no subtree hashes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty for existing heads: their next append reads the frontier from ledger_hashes once.
    with op.batch_alter_table("ledger_heads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frontier", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_heads", schema=None) as batch_op:
        batch_op.drop_column("frontier")
