"""An export read in one snapshot: the checkpoint and the rows, then written as it is read.

The session is opened by the caller's factory (``Database.snapshot_sessions``: REPEATABLE READ
on PostgreSQL, a read transaction on SQLite), the checkpoint read first inside it, and the rows
after it: both see the same state of the database, so the header names the checkpoint the rows
belong to. The session lives as long as the iterator, which a streamed response closes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from traceapp.exports.writers import Cell, csv_chunks, xlsx_chunks
from traceapp.ledger_store.reads import latest_checkpoint_head

MAGIC = "ocop-trace-export/v1"


@dataclass(frozen=True)
class Rows:
    columns: Sequence[str]
    rows: Iterator[Sequence[Any]]


def header_rows(
    name: str, origin: str, size: int, root: bytes, filters: Sequence[tuple[str, str]]
) -> list[list[Cell]]:
    """The rows above the table: what it is, the checkpoint it was read at, its filters."""
    rows: list[list[Cell]] = [
        [MAGIC, name],
        ["log", origin],
        ["checkpoint_size", size],
        ["checkpoint_root", base64.b64encode(root).decode()],
        # Base64 may start with "+", which a spreadsheet takes for a formula; hex never does.
        ["checkpoint_root_hex", root.hex()],
        ["read_at", datetime.now(UTC).isoformat(timespec="seconds")],
    ]
    rows.extend([["filter", key, value] for key, value in filters])
    return rows


def export_chunks(
    open_session: Callable[[], AbstractContextManager[Session]],
    origin: str,
    name: str,
    fmt: str,
    build: Callable[[Session], Rows],
    filters: Sequence[tuple[str, str]] = (),
) -> Iterator[bytes]:
    """The file's bytes, read in one snapshot and written as they are read."""
    with open_session() as session, session.begin():
        size, root, _ = latest_checkpoint_head(session, origin)
        table = build(session)
        header = header_rows(name, origin, size, root, filters)
        writer = xlsx_chunks if fmt == "xlsx" else csv_chunks
        yield from writer(header, table.columns, table.rows)
