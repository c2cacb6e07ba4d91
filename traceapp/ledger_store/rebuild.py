"""Replay the ledger into the projections, and compare projections logically (DESIGN §1.1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from traceapp.db.base import Base
from traceapp.ledger_store.entries import stream_entries
from traceapp.ledger_store.projections import Projectors
from traceapp.ledger_store.sequencer import Appended

# Children before parents, so clearing never trips a foreign key.
PROJECTION_TABLES = (
    "stat_counts",
    "stat_batch_ranks",
    "event_epcs",
    "events",
    "recall_batches",
    "recalls",
    "items",
    "batch_inputs",
    "batches",
    "certifications",
    "products",
    "locations",
    "actor_keys",
    "producer_changes",
    "producers",
)
# How a row is named in reports: its natural key, never a surrogate id.
NATURAL_KEYS = {
    "event_epcs": ("event_seq", "role", "epc"),
    "recall_batches": ("recall_id", "batch_id"),
    "batch_inputs": ("batch_id", "input_batch_id"),
    "actor_keys": ("key_name",),
    "stat_counts": ("metric", "producer", "province", "commune", "k1", "k2", "k3"),
    "stat_batch_ranks": ("province", "product"),
    "producer_changes": ("seq",),
}


def clear_projections(session: Session) -> None:
    tables = Base.metadata.tables
    for name in PROJECTION_TABLES:
        session.execute(delete(tables[name]))


def replay(
    session: Session,
    entries: Iterable[Appended],
    projectors: Projectors,
    progress: Callable[[int], None] | None = None,
) -> int:
    count = 0
    chunk: list[Appended] = []
    for appended in entries:
        chunk.append(appended)
        if len(chunk) == 1000:
            projectors.project_all(session, chunk)
            count += len(chunk)
            chunk.clear()
            if progress is not None:
                progress(count)
    projectors.project_all(session, chunk)
    session.flush()
    return count + len(chunk)


def rebuild(
    session: Session,
    origin: str,
    projectors: Projectors,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Recreate every projection from the entries alone, in the caller's transaction."""
    entries = list(stream_entries(session, origin))
    clear_projections(session)
    return replay(session, entries, projectors, progress)


def _public_ids(session: Session) -> dict[str, dict[int, str]]:
    maps: dict[str, dict[int, str]] = {}
    for name in PROJECTION_TABLES:
        table = Base.metadata.tables[name]
        if "public_id" in table.c and "id" in table.c:
            maps[name] = {i: p for i, p in session.execute(select(table.c.id, table.c.public_id))}
    return maps


def _row_key(table: Table, row: dict[str, Any]) -> tuple[Any, ...]:
    if "public_id" in table.c:
        return (row["public_id"],)
    return tuple(row[c] for c in NATURAL_KEYS[table.name])


def snapshot(session: Session) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Each projection table as {natural key: row}, surrogate ids replaced by public IDs."""
    ids = _public_ids(session)
    result: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    for name in PROJECTION_TABLES:
        table = Base.metadata.tables[name]
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        for raw in session.execute(select(table)).mappings():
            row = dict(raw)
            row.pop("id", None)
            for column in table.c:
                for fk in column.foreign_keys:
                    target = fk.column.table.name
                    if fk.column.name == "id" and target in ids and row[column.name] is not None:
                        row[column.name] = ids[target].get(row[column.name], row[column.name])
            rows[_row_key(table, row)] = row
        result[name] = rows
    return result


def first_difference(
    expected: dict[str, dict[tuple[Any, ...], dict[str, Any]]],
    found: dict[str, dict[tuple[Any, ...], dict[str, Any]]],
) -> str | None:
    """The first row where ``found`` differs from ``expected``, described for a report.

    Parents are compared before children, so a changed key is reported where it was changed,
    not at the rows that refer to it.
    """
    for name in reversed(PROJECTION_TABLES):
        want, have = expected[name], found[name]
        for key in sorted(want.keys() | have.keys(), key=repr):
            if key not in have:
                return f"{name} {key}: missing (the ledger says it exists)"
            if key not in want:
                return f"{name} {key}: present but no ledger entry creates it"
            for column, value in want[key].items():
                if have[key].get(column) != value:
                    return (
                        f"{name} {key} column {column}: expected {value!r}, "
                        f"found {have[key].get(column)!r}"
                    )
    return None
