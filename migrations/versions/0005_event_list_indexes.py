"""event list indexes end with ledger_seq: a filtered page is one index range, not a sort

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 21:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# (old single-column index, new index with ledger_seq, column)
_INDEXES = [
    ("ix_events_type", "ix_events_type_seq", "type"),
    ("ix_events_biz_step", "ix_events_biz_step_seq", "biz_step"),
    ("ix_events_disposition", "ix_events_disposition_seq", "disposition"),
    ("ix_events_read_point", "ix_events_read_point_seq", "read_point"),
    ("ix_events_biz_location", "ix_events_biz_location_seq", "biz_location"),
    ("ix_events_producer_id", "ix_events_producer_seq", "producer_id"),
]


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        for old, new, column in _INDEXES:
            batch_op.drop_index(old)
            batch_op.create_index(new, [column, "ledger_seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        for old, new, column in _INDEXES:
            batch_op.drop_index(new)
            batch_op.create_index(old, [column], unique=False)
