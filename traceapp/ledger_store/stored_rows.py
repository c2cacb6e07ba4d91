"""The stored rows of the log against what the verifier accepted (``verify_database``).

``StoredEntries`` streams ``ledger_entries`` to ``ledger.fast.verify.verify_log_chunks`` and checks
their stored leaf hash, type and actor columns; ``StoredTree`` checks every stored subtree hash.
The rows are read as the driver's tuples (``Prepared.tuples``: a million-entry log has three
million rows to read) and compared a batch at a time.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ledger.verify import AcceptedEntries
from traceapp.db.statements import Prepared
from traceapp.ledger_store.entries import entry_runs
from traceapp.ledger_store.models import LedgerHash
from traceapp.ledger_store.store import keeps_row

CHUNK = 4000
HASH_SIZE = 32


class AuditFailure(Exception):
    """The first divergence: where (table, key or entry index), what was expected and found."""


def b64(data: bytes | None) -> str:
    return "NULL" if data is None else base64.b64encode(data).decode()


def _shown(value: object) -> str:
    return b64(value) if isinstance(value, bytes) or value is None else repr(value)


def _first_mismatch(expected: Sequence[Any], found: Sequence[Any]) -> int | None:
    if expected == found:
        return None
    return next(
        (i for i, (want, have) in enumerate(zip(expected, found, strict=False)) if want != have),
        min(len(expected), len(found)),
    )


class StoredEntries:
    """Streams ``ledger_entries`` in order for ``verify_log`` and checks their stored columns
    (leaf hash, type, actor) against what the verifier accepted."""

    def __init__(self, session: Session, origin: str, size: int) -> None:
        self._session, self._origin = session, origin
        self._size = size
        self._base = 0  # the seq of the first stored column value kept below
        self._leaves: list[bytes] = []
        self._types: list[str] = []
        self._actors: list[str] = []

    def chunks(self) -> Iterator[tuple[int, Sequence[bytes]]]:
        """Runs of entries, seq 0 up to the size; AuditFailure for a missing row."""
        start = 0
        runs = entry_runs(
            self._session,
            self._origin,
            ("entry", "leaf_hash", "type", "actor"),
            end=self._size,
            batch=CHUNK,
        )
        for rows in runs:
            seqs, entries, leaves, types, actors = zip(*rows, strict=True)
            # (log, seq) is the primary key, so the seqs ascend: consecutive iff the last fits
            if seqs[0] != start or seqs[-1] != start + len(seqs) - 1:
                missing = next(s for s, seq in enumerate(seqs, start) if seq != s)
                raise AuditFailure(
                    f"ledger_entries: entry {missing} is missing; found {seqs[missing - start]} next"
                )
            self._leaves.extend(leaves)
            self._types.extend(types)
            self._actors.extend(actors)
            yield start, entries
            start += len(seqs)
        if start < self._size:
            raise AuditFailure(f"ledger_entries: entry {start} is missing (head says {self._size})")

    def check(self, accepted: AcceptedEntries) -> None:
        """The stored columns of the accepted entries must be what the verifier found."""
        first, count = accepted.first_index, accepted.count
        offset = first - self._base
        end = offset + count
        types, actors = list(accepted.types), list(accepted.actors)
        # Quickly when all is well (one comparison a column): the stored leaf hashes joined are
        # the accepted ones, and none is longer than a hash, so each is its entry's.
        stored_leaves = self._leaves[offset:end]
        try:
            same_leaves = (
                b"".join(stored_leaves) == accepted.leaves
                and max(map(len, stored_leaves)) <= HASH_SIZE
            )
        except TypeError:  # not bytes: SQLite keeps a value of any type in any column
            same_leaves = False
        if (
            not same_leaves
            or self._types[offset:end] != types
            or self._actors[offset:end] != actors
        ):
            self._report(accepted, offset, types, actors)
        # Forget what was checked.
        del self._leaves[:end], self._types[:end], self._actors[:end]
        self._base += end

    def _report(
        self, accepted: AcceptedEntries, offset: int, types: list[str], actors: list[str]
    ) -> None:
        """Raise the stored column that differs from the accepted entries at the lowest seq."""
        count, end = accepted.count, offset + accepted.count
        leaves = [
            accepted.leaves[i : i + HASH_SIZE] for i in range(0, count * HASH_SIZE, HASH_SIZE)
        ]
        mismatches: list[tuple[int, str, str, str]] = []
        for column, want, have in (
            ("leaf_hash", leaves, self._leaves[offset:end]),
            ("type", types, self._types[offset:end]),
            ("actor", actors, self._actors[offset:end]),
        ):
            at = _first_mismatch(want, have)
            if at is not None:
                mismatches.append((at, column, _shown(want[at]), _shown(have[at])))
        if mismatches:
            at, column, expected, found = min(mismatches, key=lambda m: m[0])
            raise AuditFailure(
                f"ledger_entries seq {accepted.first_index + at} column {column}: "
                f"expected {expected}, found {found}"
            )


class _LevelReader:
    """Reads the stored subtree hashes of one level in index order, a chunk at a time."""

    def __init__(self, tree: StoredTree, level: int, stored: int) -> None:
        self._tree, self.level = tree, level
        self._stored = stored  # how many hashes the level has for the log's size
        self._first = 0  # the idx of _hashes[0]
        self._hashes: list[bytes] = []

    def take(self, start: int, computed: list[bytes]) -> None:
        """The stored hashes from ``start`` on must be ``computed``."""
        end = start + len(computed)
        if end > self._first + len(self._hashes):
            ahead = min(max(end, start + CHUNK), self._stored)
            rows = self._tree.hashes(self.level, start, ahead)
            if len(rows) != ahead - start:  # (log, level, idx) is the primary key: a gap
                rows = self._tree.hashes(self.level, start, end)
                if len(rows) != end - start:
                    self._missing(start, end, computed)
            self._first, self._hashes = start, list(itertools.chain.from_iterable(rows))
        stored = self._hashes[start - self._first : end - self._first]
        at = _first_mismatch(computed, stored)
        if at is not None:
            raise AuditFailure(
                f"ledger_hashes (level {self.level}, idx {start + at}) column hash: "
                f"expected {b64(computed[at])}, found {b64(stored[at])}"
            )

    def _missing(self, start: int, end: int, computed: list[bytes]) -> None:
        """Name the first of the hashes ``start`` to ``end - 1`` that is not stored."""
        idxs = self._tree.idxs(self.level, start, end + CHUNK)
        missing = next((i for i, (idx,) in enumerate(idxs, start) if idx != i), start + len(idxs))
        if missing - start < len(idxs):
            raise AuditFailure(
                f"ledger_hashes (level {self.level}, idx {missing}): missing; "
                f"found idx {idxs[missing - start][0]} next"
            )
        raise AuditFailure(
            f"ledger_hashes (level {self.level}, idx {missing}) column hash: "
            f"expected {b64(computed[missing - start])}, found missing"
        )


def _level_range(column: Any) -> Prepared:
    hashes = LedgerHash.__table__
    return Prepared(
        select(column)
        .where(
            hashes.c.log == bindparam("log"),
            hashes.c.level == bindparam("level"),
            hashes.c.idx >= bindparam("start"),
            hashes.c.idx < bindparam("end"),
        )
        .order_by(hashes.c.idx)
    )


_LEVEL_HASHES = _level_range(LedgerHash.__table__.c.hash)
_LEVEL_IDXS = _level_range(LedgerHash.__table__.c.idx)


class StoredTree:
    """Checks ``ledger_hashes`` against every perfect subtree (RFC 6962 §2.1) of a stored level
    (``store.keeps_row``) the verifier's tree completes, and keeps its root at every checkpoint size."""

    def __init__(self, session: Session, origin: str, size: int) -> None:
        self._session, self._origin = session, origin
        self._log_size = size
        self._levels: dict[int, _LevelReader] = {}
        self.roots: dict[int, bytes] = {}

    def check(self, accepted: AcceptedEntries) -> None:
        for level, start, computed in accepted.subtrees:
            if not keeps_row(level):
                continue  # level 0 is the entries' leaf_hash, compared with their other columns
            reader = self._levels.get(level)
            if reader is None:
                reader = self._levels[level] = _LevelReader(self, level, self._log_size >> level)
            reader.take(start, computed)
        self.roots.update(accepted.roots)

    def hashes(self, level: int, start: int, end: int) -> list[tuple[Any, ...]]:
        """The stored hashes of ``level`` from idx ``start`` to ``end - 1``: (hash,) rows."""
        params = {"log": self._origin, "level": level, "start": start, "end": end}
        return _LEVEL_HASHES.tuples(self._session, params)

    def idxs(self, level: int, start: int, end: int) -> list[tuple[Any, ...]]:
        """The idx of the stored hashes of ``level`` from ``start`` to ``end - 1``."""
        params = {"log": self._origin, "level": level, "start": start, "end": end}
        return _LEVEL_IDXS.tuples(self._session, params)
