"""An index on items.serial: an item named by its GTIN and serial (an EPC, a Digital Link
without its lot) is found from its serial, not by probing every batch of its product, which
grows without bound as a product is made for years (issue 19: a single append at 10^6 entries
cost twice one at 10^5 from that probe alone, on a product with 5,000 batches).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 08:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_serial", "items", ["serial"])


def downgrade() -> None:
    op.drop_index("ix_items_serial", table_name="items")
