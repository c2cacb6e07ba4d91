"""The server-side audit (DESIGN §3): everything the database holds, re-derived from entries.

``verify_database`` checks, in one pass over the log: every entry (format, canonical form, chain,
signature under the key registry) with ``ledger.verify.verify_log`` (all cores); the stored leaf
hash, type and actor columns; every stored subtree hash; every stored checkpoint (the log key's
signature, its root against the tree at its size, the stored root column); consistency between
consecutive checkpoints; the head row. With ``deep``, every projection row against a replay of
the ledger into a scratch database. The first divergence is raised as ``AuditFailure``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from ledger.checkpoint import open_checkpoint
from ledger.entry import parse_entry
from ledger.errors import LedgerError
from ledger.merkle import CompactRange, leaf_hash, verify_consistency
from ledger.verify import verify_log
from traceapp.db import Base
from traceapp.ledger_store.models import LedgerCheckpoint, LedgerEntry, LedgerHash, LedgerHead
from traceapp.ledger_store.reads import consistency
from traceapp.ledger_store.rebuild import first_difference, replay, snapshot, stream_entries
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.models import PersonalData

Progress = Callable[[str, int, int], None]
CHUNK = 5000


class AuditFailure(Exception):
    """The first divergence: where (table, key or entry index), what was expected and found."""


@dataclass(frozen=True)
class AuditReport:
    size: int
    root: bytes
    checkpoints: int
    projection_rows: int | None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class _LevelReader:
    """Streams the stored subtree hashes of one level in index order, a chunk at a time."""

    def __init__(self, session: Session, origin: str, level: int) -> None:
        self.session, self.origin, self.level = session, origin, level
        self.next_idx = 0
        self.buffer: Iterator[tuple[int, bytes]] = iter(())

    def take(self, idx: int) -> bytes | None:
        for _ in range(2):
            for stored_idx, digest in self.buffer:
                if stored_idx != idx:
                    raise AuditFailure(
                        f"ledger_hashes (level {self.level}, idx {idx}): missing; "
                        f"found idx {stored_idx} next"
                    )
                return digest
            rows = self.session.execute(
                select(LedgerHash.idx, LedgerHash.hash)
                .where(LedgerHash.log == self.origin, LedgerHash.level == self.level)
                .where(LedgerHash.idx >= idx)
                .order_by(LedgerHash.idx)
                .limit(CHUNK)
            ).all()
            self.buffer = iter([(i, h) for i, h in rows])
        return None


def _checked_entries(
    session: Session, origin: str, size: int, roots_at: set[int], roots: dict[int, bytes]
) -> Iterator[tuple[int, bytes]]:
    """Entries for ``verify_log``, checking stored columns and subtree hashes on the way."""
    compact = CompactRange()
    levels: dict[int, _LevelReader] = {}
    start = 0
    while start < size:
        rows = session.execute(
            select(
                LedgerEntry.seq,
                LedgerEntry.entry,
                LedgerEntry.leaf_hash,
                LedgerEntry.type,
                LedgerEntry.actor,
            )
            .where(LedgerEntry.log == origin, LedgerEntry.seq >= start, LedgerEntry.seq < size)
            .order_by(LedgerEntry.seq)
            .limit(CHUNK)
        ).all()
        if not rows:
            raise AuditFailure(f"ledger_entries: entry {start} is missing (head says {size})")
        for seq, data, stored_leaf, stored_type, stored_actor in rows:
            if seq != start:
                raise AuditFailure(f"ledger_entries: entry {start} is missing; found {seq} next")
            leaf = leaf_hash(data)
            if stored_leaf != leaf:
                raise AuditFailure(
                    f"ledger_entries seq {seq} column leaf_hash: expected {_b64(leaf)}, "
                    f"found {_b64(stored_leaf)}"
                )
            try:
                entry = parse_entry(data)
            except LedgerError as exc:
                raise AuditFailure(f"entry {seq}: {exc}") from None
            for column, want, have in (
                ("type", entry.type, stored_type),
                ("actor", entry.actor, stored_actor),
            ):
                if want != have:
                    raise AuditFailure(
                        f"ledger_entries seq {seq} column {column}: expected {want!r}, found {have!r}"
                    )
            for level, idx, digest in compact.append(leaf):
                reader = levels.setdefault(level, _LevelReader(session, origin, level))
                stored = reader.take(idx)
                if stored != digest:
                    found = "missing" if stored is None else _b64(stored)
                    raise AuditFailure(
                        f"ledger_hashes (level {level}, idx {idx}) column hash: "
                        f"expected {_b64(digest)}, found {found}"
                    )
            if compact.size in roots_at:
                roots[compact.size] = compact.root()
            yield seq, data
            start += 1
    _check_nothing_beyond(session, origin, size)


def _check_single_log(session: Session, origin: str) -> None:
    """This server keeps one log: a row of another log is a row moved out of this one."""
    for model in (LedgerEntry, LedgerHash, LedgerCheckpoint, LedgerHead):
        foreign = session.execute(
            select(func.count()).select_from(model).where(model.log != origin)
        ).scalar_one()
        if foreign:
            raise AuditFailure(
                f"{model.__tablename__}: {foreign} row(s) name another log than {origin!r}"
            )


def _check_nothing_beyond(session: Session, origin: str, size: int) -> None:
    """No entry and no subtree hash may be stored beyond the log the checkpoint signs."""
    extra = session.execute(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.log == origin, LedgerEntry.seq >= size)
    ).scalar_one()
    if extra:
        raise AuditFailure(f"ledger_entries: {extra} entries beyond the signed size {size}")
    counts = session.execute(
        select(LedgerHash.level, func.count())
        .where(LedgerHash.log == origin)
        .group_by(LedgerHash.level)
    ).all()
    for level, count in counts:
        if count != size >> level:
            raise AuditFailure(
                f"ledger_hashes level {level}: expected {size >> level} subtree hashes for "
                f"{size} entries, found {count}"
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
    roots: dict[int, bytes] = {}
    entries = _checked_entries(session, origin, latest.size, set(opened), roots)
    try:
        verified = verify_log(
            entries,
            latest.note,
            ledger.log.vkey,
            progress=(lambda done, total: progress("entries", done, total)) if progress else None,
        )
    except LedgerError as exc:
        raise AuditFailure(str(exc)) from None
    for size, cp in opened.items():
        if roots.get(size) != cp.root_hash:
            raise AuditFailure(
                f"ledger_checkpoints size {size}: root {_b64(cp.root_hash)} is not the tree of "
                f"the first {size} entries ({_b64(roots.get(size, b''))})"
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
