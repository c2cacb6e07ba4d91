"""ledger_hashes keeps every fourth level (4, 8, 12, ...): level 0 is ledger_entries.leaf_hash
and every other node is folded from at most 8 hashes below it
(ledger.tree_store.StridedHashStore). The table falls from ~2 rows an entry to one per 15
entries (issue 19: the ledger's own storage per entry). The rows are deleted past the append-only trigger, which is put back; the space
is reused by new rows (SQLite: ``VACUUM`` returns it to the file system, docs/operations.md).
Downgrade recomputes the dropped levels from the leaf hashes.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 05:30:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from ledger.merkle import CompactRange

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

NOT_KEPT = "level = 0 OR level % 4 <> 0"
SQLITE_TRIGGER = (
    "CREATE TRIGGER ledger_hashes_no_delete BEFORE DELETE ON ledger_hashes "
    "BEGIN SELECT RAISE(ABORT, 'ledger table ledger_hashes is append-only: "
    "DELETE refused'); END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_hashes DISABLE TRIGGER ledger_hashes_append_only")
        op.execute(f"DELETE FROM ledger_hashes WHERE {NOT_KEPT}")
        op.execute("ALTER TABLE ledger_hashes ENABLE TRIGGER ledger_hashes_append_only")
        return
    op.execute("DROP TRIGGER ledger_hashes_no_delete")
    op.execute(f"DELETE FROM ledger_hashes WHERE {NOT_KEPT}")
    op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    """Every level again, from each log's leaf hashes in order, a batch of rows at a time."""
    bind = op.get_bind()
    logs = [row[0] for row in bind.execute(text("SELECT log FROM ledger_heads"))]
    insert = text(
        "INSERT INTO ledger_hashes (log, level, idx, hash) VALUES (:log, :level, :idx, :hash)"
    )
    for log in logs:
        compact, rows, start = CompactRange(), [], 0
        while True:
            leaves = bind.execute(
                text(
                    "SELECT seq, leaf_hash FROM ledger_entries WHERE log = :log AND seq >= :s "
                    "ORDER BY seq LIMIT 10000"
                ),
                {"log": log, "s": start},
            ).all()
            for _seq, leaf in leaves:
                rows.extend(
                    {"log": log, "level": level, "idx": idx, "hash": digest}
                    for level, idx, digest in compact.append(bytes(leaf))
                    if level == 0 or level % 4
                )
            if rows:
                bind.execute(insert, rows)
                rows = []
            if len(leaves) < 10000:
                break
            start = leaves[-1][0] + 1
