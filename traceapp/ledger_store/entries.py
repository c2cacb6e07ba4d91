"""The one reader of ``ledger_entries``: runs of rows in seq order, read in key ranges.

Replay, the export and the database consistency check all read the log through ``entry_runs``
(never one huge result set); the rows come back as the driver's tuples.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ledger.fast.scanner import parse_entry
from ledger.merkle import leaf_hash
from traceapp.db.statements import Prepared
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.sequencer import Appended

ENTRIES = LedgerEntry.__table__
NO_END = 2**62  # beyond any seq

# The column sets read, each ``seq`` first, then the columns named.
_RUNS: dict[tuple[str, ...], Prepared] = {}


def _statement(columns: tuple[str, ...]) -> Prepared:
    prepared = _RUNS.get(columns)
    if prepared is None:
        prepared = _RUNS[columns] = Prepared(
            select(ENTRIES.c.seq, *(ENTRIES.c[name] for name in columns))
            .where(
                ENTRIES.c.log == bindparam("log"),
                ENTRIES.c.seq >= bindparam("start"),
                ENTRIES.c.seq < bindparam("end"),
            )
            .order_by(ENTRIES.c.seq)
            .limit(bindparam("batch"))
        )
    return prepared


def entry_runs(
    session: Session,
    origin: str,
    columns: tuple[str, ...] = ("entry",),
    *,
    start: int = 0,
    end: int = NO_END,
    batch: int = 2000,
) -> Iterator[list[tuple[Any, ...]]]:
    """Runs of up to ``batch`` rows ``(seq, *columns)`` of the entries with ``start <= seq <
    end``, in seq order. A missing seq is skipped, not reported: the caller compares seqs if it
    cares."""
    statement = _statement(columns)
    while start < end:
        rows = statement.tuples(
            session, {"log": origin, "start": start, "end": end, "batch": batch}
        )
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        start = rows[-1][0] + 1


def stream_entries(session: Session, origin: str) -> Iterator[Appended]:
    """Every entry in order, parsed, with its leaf hash."""
    for rows in entry_runs(session, origin):
        for _seq, data in rows:
            yield Appended(parse_entry(data), leaf_hash(data))


def iter_entry_bytes(session: Session, origin: str, size: int) -> Iterator[tuple[int, bytes]]:
    """(seq, entry bytes) for seq < size, in order."""
    for rows in entry_runs(session, origin, end=size, batch=5000):
        yield from rows
