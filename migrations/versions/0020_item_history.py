"""items.last_step_time and items.returned_seq: an item's history as the plausibility rules
read it, kept on its row as events land (events.item_history) instead of aggregated from every
event of the item on each write (issue 19: an append's cost must not grow with the log).

Backfilled from the events and their EPC rows (non-retracted; step roles epc, parent, child,
input), as ``traceapp ledger rebuild`` would project them.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 02:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_OWN = """FROM event_epcs p JOIN events e ON e.ledger_seq = p.event_seq
    WHERE p.item_id = items.id AND p.role IN ('epc', 'parent', 'child', 'input')
    AND e.error_declared_seq IS NULL"""


def upgrade() -> None:
    op.add_column("items", sa.Column("last_step_time", sa.DateTime(timezone=True), nullable=True))
    op.add_column("items", sa.Column("returned_seq", _BIG, nullable=True))
    op.execute(
        f"""UPDATE items SET
        last_step_time = (SELECT max(e.event_time) {_OWN}),
        returned_seq = (SELECT max(e.ledger_seq) {_OWN} AND e.disposition = 'returned')
        WHERE id IN (SELECT item_id FROM event_epcs
                     WHERE role IN ('epc', 'parent', 'child', 'input'))"""
    )


def downgrade() -> None:
    # Plain ALTER (SQLite >= 3.35): a batch copy of items would break the event_epcs references.
    op.execute("ALTER TABLE items DROP COLUMN returned_seq")
    op.execute("ALTER TABLE items DROP COLUMN last_step_time")
