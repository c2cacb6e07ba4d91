"""The server-side audit (DESIGN §3): everything the database holds, re-derived from entries.

``verify_database`` checks, in one pass over the log: every entry (format, canonical form, chain,
signature under the key registry) with ``ledger.verify.verify_log`` (all cores); the stored leaf
hash, type and actor columns; every stored subtree hash; every stored checkpoint (the log key's
signature, its root against the tree at its size, the stored root column); consistency between
consecutive checkpoints; the head row. With ``deep``, every projection row against a replay of
the ledger into a scratch database. The first divergence is raised as ``AuditFailure``.

The worker processes of ``verify_log`` parse, hash and verify the entries; this module only
reads the rows (on the DBAPI cursor, as plain tuples: a million-entry log has three million
rows to read) and compares the stored columns and subtree hashes, a batch at a time, with the
leaf hashes, types and actors the verifier accepted and the subtrees and roots of its tree.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, create_engine, func, or_, select
from sqlalchemy.orm import Session

from ledger.checkpoint import open_checkpoint
from ledger.errors import LedgerError
from ledger.fast.verify import verify_log_chunks
from ledger.merkle import frontier_keys
from ledger.proof_verification import verify_consistency
from ledger.verify import AcceptedEntries
from traceapp.db import Base
from traceapp.ledger_store.models import LedgerCheckpoint, LedgerEntry, LedgerHash, LedgerHead
from traceapp.ledger_store.reads import consistency
from traceapp.ledger_store.rebuild import first_difference, replay, snapshot, stream_entries
from traceapp.ledger_store.store import SqlHashStore
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.models import PersonalData

Progress = Callable[[str, int, int], None]
CHUNK = 4000
HASH_SIZE = 32


class AuditFailure(Exception):
    """The first divergence: where (table, key or entry index), what was expected and found."""


@dataclass(frozen=True)
class AuditReport:
    size: int
    root: bytes
    checkpoints: int
    projection_rows: int | None


def _b64(data: bytes | None) -> str:
    return "NULL" if data is None else base64.b64encode(data).decode()


def _shown(value: object) -> str:
    return _b64(value) if isinstance(value, bytes) or value is None else repr(value)


class _RawQuery:
    """A Core select run on the DBAPI cursor of the session's own connection (same transaction).

    Rows come back as the driver's tuples: SQLAlchemy's Row objects cost more than reading the
    rows. Works with any DBAPI paramstyle: the statement is compiled for the session's dialect.
    """

    def __init__(self, session: Session, statement: Select[Any]) -> None:
        connection = session.connection()
        self._compiled = statement.compile(dialect=connection.dialect)
        self._sql = str(self._compiled)
        self._dbapi: Any = connection.connection.driver_connection

    def rows(self, **values: Any) -> list[tuple[Any, ...]]:
        params = self._compiled.construct_params(values)
        args: Any = params
        if self._compiled.positional:
            args = tuple(params[name] for name in self._compiled.positiontup or ())
        cursor = self._dbapi.cursor()
        try:
            cursor.execute(self._sql, args)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def _first_mismatch(expected: Sequence[Any], found: Sequence[Any]) -> int | None:
    if expected == found:
        return None
    return next(
        (i for i, (want, have) in enumerate(zip(expected, found, strict=False)) if want != have),
        min(len(expected), len(found)),
    )


class _StoredEntries:
    """Streams ``ledger_entries`` in order for ``verify_log`` and checks their stored columns
    (leaf hash, type, actor) against what the verifier accepted."""

    def __init__(self, session: Session, origin: str, size: int) -> None:
        entries = LedgerEntry.__table__
        in_range = (
            entries.c.log == origin,
            entries.c.seq >= bindparam("start"),
            entries.c.seq < bindparam("end"),
        )
        self._query = _RawQuery(
            session,
            select(entries.c.entry, entries.c.leaf_hash, entries.c.type, entries.c.actor)
            .where(*in_range)
            .order_by(entries.c.seq),
        )
        self._seqs = _RawQuery(
            session, select(entries.c.seq).where(*in_range).order_by(entries.c.seq)
        )
        self._size = size
        self._base = 0  # the seq of the first stored column value kept below
        self._leaves: list[bytes] = []
        self._types: list[str] = []
        self._actors: list[str] = []

    def chunks(self) -> Iterator[tuple[int, Sequence[bytes]]]:
        """Runs of entries, seq 0 up to the size; AuditFailure for a missing row."""
        for start in range(0, self._size, CHUNK):
            end = min(start + CHUNK, self._size)
            rows = self._query.rows(start=start, end=end)
            if len(rows) != end - start:  # (log, seq) is the primary key: some seq is missing
                ahead = min(end + CHUNK, self._size)
                seqs = [seq for (seq,) in self._seqs.rows(start=start, end=ahead)]
                missing = next(
                    (s for s, seq in enumerate(seqs, start) if seq != s), len(seqs) + start
                )
                if missing - start < len(seqs):
                    found = seqs[missing - start]
                    raise AuditFailure(
                        f"ledger_entries: entry {missing} is missing; found {found} next"
                    )
                raise AuditFailure(
                    f"ledger_entries: entry {missing} is missing (head says {self._size})"
                )
            entries, leaves, types, actors = zip(*rows, strict=True)
            self._leaves.extend(leaves)
            self._types.extend(types)
            self._actors.extend(actors)
            yield start, entries

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

    def __init__(self, tree: _StoredTree, level: int, stored: int) -> None:
        self._tree, self.level = tree, level
        self._stored = stored  # how many hashes the level has for the log's size
        self._first = 0  # the idx of _hashes[0]
        self._hashes: list[bytes] = []

    def take(self, start: int, computed: list[bytes]) -> None:
        """The stored hashes from ``start`` on must be ``computed``."""
        end = start + len(computed)
        if end > self._first + len(self._hashes):
            ahead = min(max(end, start + CHUNK), self._stored)
            rows = self._tree.hashes.rows(level=self.level, start=start, end=ahead)
            if len(rows) != ahead - start:  # (log, level, idx) is the primary key: a gap
                rows = self._tree.hashes.rows(level=self.level, start=start, end=end)
                if len(rows) != end - start:
                    self._missing(start, end, computed)
            self._first, self._hashes = start, list(itertools.chain.from_iterable(rows))
        stored = self._hashes[start - self._first : end - self._first]
        at = _first_mismatch(computed, stored)
        if at is not None:
            raise AuditFailure(
                f"ledger_hashes (level {self.level}, idx {start + at}) column hash: "
                f"expected {_b64(computed[at])}, found {_b64(stored[at])}"
            )

    def _missing(self, start: int, end: int, computed: list[bytes]) -> None:
        """Name the first of the hashes ``start`` to ``end - 1`` that is not stored."""
        idxs = self._tree.idxs.rows(level=self.level, start=start, end=end + CHUNK)
        missing = next((i for i, (idx,) in enumerate(idxs, start) if idx != i), start + len(idxs))
        if missing - start < len(idxs):
            raise AuditFailure(
                f"ledger_hashes (level {self.level}, idx {missing}): missing; "
                f"found idx {idxs[missing - start][0]} next"
            )
        raise AuditFailure(
            f"ledger_hashes (level {self.level}, idx {missing}) column hash: "
            f"expected {_b64(computed[missing - start])}, found missing"
        )


class _StoredTree:
    """Checks ``ledger_hashes`` against every perfect subtree (RFC 6962 §2.1) the verifier's
    tree completes, and keeps its root at every checkpoint size."""

    def __init__(self, session: Session, origin: str, size: int) -> None:
        hashes = LedgerHash.__table__
        in_range = (
            hashes.c.log == origin,
            hashes.c.level == bindparam("level"),
            hashes.c.idx >= bindparam("start"),
            hashes.c.idx < bindparam("end"),
        )
        self.hashes = _RawQuery(
            session, select(hashes.c.hash).where(*in_range).order_by(hashes.c.idx)
        )
        self.idxs = _RawQuery(session, select(hashes.c.idx).where(*in_range).order_by(hashes.c.idx))
        self._log_size = size
        self._levels: dict[int, _LevelReader] = {}
        self.roots: dict[int, bytes] = {}

    def check(self, accepted: AcceptedEntries) -> None:
        for level, start, computed in accepted.subtrees:
            reader = self._levels.get(level)
            if reader is None:
                reader = self._levels[level] = _LevelReader(self, level, self._log_size >> level)
            reader.take(start, computed)
        self.roots.update(accepted.roots)


def _check_single_log(session: Session, origin: str) -> None:
    """This server keeps one log: a row of another log is a row moved out of this one."""
    for model in (LedgerEntry, LedgerHash, LedgerCheckpoint, LedgerHead):
        # "< or >", not "!=": two index range scans instead of a scan of the whole table
        foreign = session.execute(
            select(func.count())
            .select_from(model)
            .where(or_(model.log < origin, model.log > origin))
        ).scalar_one()
        if foreign:
            raise AuditFailure(
                f"{model.__tablename__}: {foreign} row(s) name another log than {origin!r}"
            )


def _check_nothing_beyond(session: Session, origin: str, size: int) -> None:
    """No entry and no subtree hash may be stored beyond the log the checkpoint signs.

    Every hash the tree of ``size`` leaves has was read and compared (``_StoredTree``); what
    is left to find is a row outside it: at a level the tree does not reach, or past the end
    of its level. Each is an index seek, not a count of every row.
    """
    extra = session.execute(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.log == origin, LedgerEntry.seq >= size)
    ).scalar_one()
    if extra:
        raise AuditFailure(f"ledger_entries: {extra} entries beyond the signed size {size}")
    height = size.bit_length()  # levels 0 .. height - 1 hold size >> level > 0 hashes
    # One bound a query: SQLite answers "a < x OR a >= y" by reading the whole range.
    levels = select(LedgerHash.level).where(LedgerHash.log == origin).limit(1)
    strays = [
        session.execute(levels.where(LedgerHash.level < 0)).scalar(),
        session.execute(levels.where(LedgerHash.level >= height)).scalar(),
    ]
    for level in range(height):
        idxs = (
            select(LedgerHash.idx)
            .where(LedgerHash.log == origin, LedgerHash.level == level)
            .limit(1)
        )
        if any(
            session.execute(idxs.where(outside)).first() is not None
            for outside in (LedgerHash.idx < 0, LedgerHash.idx >= size >> level)
        ):
            strays.append(level)
    for level in strays:
        if level is None:
            continue
        count = session.execute(
            select(func.count()).where(LedgerHash.log == origin, LedgerHash.level == level)
        ).scalar_one()
        raise AuditFailure(
            f"ledger_hashes level {level}: expected {size >> level if level >= 0 else 0} "
            f"subtree hashes for {size} entries, found {count}"
        )


def verify_database(
    session: Session, ledger: Ledger, *, deep: bool = False, progress: Progress | None = None
) -> AuditReport:
    origin, verifier = ledger.origin, ledger.log.verifier
    _check_single_log(session, origin)
    head = session.get(LedgerHead, origin)
    if head is None:
        raise AuditFailure("ledger_heads: no head row: the log has no genesis")
    checkpoints = list(
        session.execute(
            select(LedgerCheckpoint)
            .where(LedgerCheckpoint.log == origin)
            .order_by(LedgerCheckpoint.size)
        ).scalars()
    )
    if not checkpoints:
        raise AuditFailure("ledger_checkpoints: none stored")
    latest = checkpoints[-1]
    if head.size != latest.size:
        raise AuditFailure(
            f"ledger_heads column size: expected {latest.size} (latest checkpoint), found {head.size}"
        )
    opened = {}
    for row in checkpoints:
        try:
            cp = open_checkpoint(row.note, verifier)
        except LedgerError as exc:
            raise AuditFailure(f"ledger_checkpoints size {row.size}: {exc}") from None
        if cp.size != row.size or cp.root_hash != row.root_hash:
            raise AuditFailure(
                f"ledger_checkpoints size {row.size}: the signed note says size {cp.size} root "
                f"{_b64(cp.root_hash)}, the row says size {row.size} root {_b64(row.root_hash)}"
            )
        opened[row.size] = cp
    stored = _StoredEntries(session, origin, latest.size)
    tree = _StoredTree(session, origin, latest.size)

    def observe(accepted: AcceptedEntries) -> None:
        stored.check(accepted)
        tree.check(accepted)

    try:
        verified = verify_log_chunks(
            stored.chunks(),
            latest.note,
            ledger.log.vkey,
            progress=(lambda done, total: progress("entries", done, total)) if progress else None,
            observer=observe,
            roots_at=opened,
        )
    except LedgerError as exc:
        raise AuditFailure(str(exc)) from None
    _check_nothing_beyond(session, origin, latest.size)
    for size, cp in opened.items():
        if tree.roots.get(size) != cp.root_hash:
            raise AuditFailure(
                f"ledger_checkpoints size {size}: root {_b64(cp.root_hash)} is not the tree of "
                f"the first {size} entries ({_b64(tree.roots.get(size, b''))})"
            )
    sizes = sorted(opened)
    for old, new in itertools.pairwise(sizes):
        try:
            verify_consistency(
                old,
                new,
                opened[old].root_hash,
                opened[new].root_hash,
                consistency(session, origin, old, new),
            )
        except LedgerError as exc:
            raise AuditFailure(f"checkpoints {old} → {new}: {exc}") from None
    last_leaf = session.execute(
        select(LedgerEntry.leaf_hash).where(
            LedgerEntry.log == origin, LedgerEntry.seq == latest.size - 1
        )
    ).scalar_one()
    for column, want, have in (
        ("root_hash", verified.root, head.root_hash),
        ("last_leaf_hash", last_leaf, head.last_leaf_hash),
    ):
        if want != have:
            raise AuditFailure(
                f"ledger_heads column {column}: expected {_b64(want)}, found {_b64(have)}"
            )
    # The frontier the next append starts from: the verified subtrees at the head's size (none
    # stored on a head from before migration 0006 that has not been appended to since).
    frontier = b"".join(SqlHashStore(session, origin).get_many(frontier_keys(latest.size)))
    if head.frontier is not None and head.frontier != frontier:
        raise AuditFailure(
            f"ledger_heads column frontier: expected {_b64(frontier)}, found {_b64(head.frontier)}"
        )
    rows = None
    if deep:
        rows = _verify_projections(session, origin, progress)
    return AuditReport(latest.size, verified.root, len(checkpoints), rows)


def _verify_projections(session: Session, origin: str, progress: Progress | None) -> int:
    """Replay the ledger into an in-memory database and compare every projection row."""
    scratch_engine = create_engine("sqlite://")
    Base.metadata.create_all(scratch_engine)
    try:
        with Session(scratch_engine) as scratch:
            replay(
                scratch,
                stream_entries(session, origin),
                (lambda n: progress("projections", n, 0)) if progress else None,
            )
            expected = snapshot(scratch)
    finally:
        scratch_engine.dispose()
    found = snapshot(session)
    difference = first_difference(expected, found)
    if difference is not None:
        raise AuditFailure(difference)
    _verify_personal_digests(session, origin)
    return sum(len(rows) for rows in found.values())


def _verify_personal_digests(session: Session, origin: str) -> None:
    """Off-ledger personal data must match the salted hashes the ledger holds."""
    ledgered: dict[tuple[str, str], str] = {}
    for entry in stream_entries(session, origin):
        if entry.entry.type == "producer.registered":
            statement = entry.entry.statement
            for name, digest in statement["personal"].items():
                ledgered[(statement["id"], name)] = digest
    for row in session.execute(select(PersonalData)).scalars():
        key = (row.producer_public_id, row.field)
        if _b64(row.digest) != ledgered.get(key):
            raise AuditFailure(
                f"personal_data {key} column digest: expected {ledgered.get(key)}, found {_b64(row.digest)}"
            )
        if row.value is not None and row.salt is not None:
            actual = hashlib.sha256(row.salt + row.value.encode()).digest()
            if actual != row.digest:
                raise AuditFailure(
                    f"personal_data {key} column value: does not hash to the ledgered digest"
                )
