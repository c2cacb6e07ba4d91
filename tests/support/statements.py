"""Counting the SQL statements a request runs (the ``count_statements`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from traceapp.db.sessions import Database


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def counting_statements(database: Database) -> Iterator[StatementCounter]:
    """Counts every SQL statement the app's engine executes (pragmas and BEGIN excluded, and on
    SQLite the insert of the subtree hashes an append completes: one every 16 entries or so,
    ``ledger_store.store.keeps_row``, so it comes and goes from one write to the next)."""
    counter = StatementCounter()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith("INSERT INTO ledger_hashes"):
            return
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN")):
            counter.statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(database.engine, "before_cursor_execute", before)
