"""rate_windows: the shared rate limit's counters when no Redis is configured (issue 19)

One row per (bucket, client, window start), upserted once a request. On PostgreSQL the table is
UNLOGGED: counters need no WAL, are not shipped to standbys, and may be lost in a crash (the
limits then restart from zero, as they would with Redis).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "rate_windows",
        sa.Column("bucket", sa.String(16), nullable=False),
        sa.Column("client", sa.String(32), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "client", "window_start"),
        prefixes=["UNLOGGED"] if postgres else [],
    )
    op.create_index("ix_rate_windows_window_start", "rate_windows", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_rate_windows_window_start", table_name="rate_windows")
    op.drop_table("rate_windows")
