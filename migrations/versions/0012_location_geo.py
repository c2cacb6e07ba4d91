"""locations: an optional WGS 84 position (latitude, longitude) from ``location.registered``

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.add_column(sa.Column("latitude", sa.Numeric(9, 6), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Numeric(9, 6), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
