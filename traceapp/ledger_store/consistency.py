"""The database's consistency check (``traceapp ledger verify``, DESIGN §3): everything the
database holds, re-derived from the entries. (The remote audit of a log is ``ledger.audit``.)

``verify_database`` checks, in one pass over the log: every entry (format, canonical form, chain,
signature under the key registry) with ``ledger.fast.verify.verify_log_chunks`` (all cores); the stored leaf
hash, type and actor columns; every stored subtree hash; every stored checkpoint (the log key's
signature, its root against the tree at its size, the stored root column); consistency between
consecutive checkpoints; the head row. With ``deep``, every projection row against a replay of
the ledger into a scratch database, then the domain checks the caller passes (off-ledger rows
against what the ledger holds: ``DomainCheck``). The first divergence is raised as
``AuditFailure``.

The worker processes of ``verify_log`` parse, hash and verify the entries; this module only
reads the rows and compares them with what the verifier accepted (``stored_rows``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import create_engine, func, or_, select
from sqlalchemy.orm import Session

from ledger.checkpoint import open_checkpoint
from ledger.errors import LedgerError
from ledger.fast.verify import verify_log_chunks
from ledger.merkle import frontier_keys
from ledger.proof_verification import verify_consistency
from ledger.verify import AcceptedEntries
from ledger.verify import verify_log as reference_verify_log
from traceapp.db.base import Base
from traceapp.ledger_store.entries import stream_entries
from traceapp.ledger_store.models import LedgerCheckpoint, LedgerEntry, LedgerHash, LedgerHead
from traceapp.ledger_store.projections import Projectors
from traceapp.ledger_store.reads import consistency
from traceapp.ledger_store.rebuild import first_difference, replay, snapshot
from traceapp.ledger_store.store import SqlHashStore, keeps_row
from traceapp.ledger_store.stored_rows import AuditFailure, StoredEntries, StoredTree, b64
from traceapp.ledger_store.writer import Ledger

Progress = Callable[[str, int, int], None]


def _indexed(chunks: Iterable[tuple[int, Sequence[bytes]]]) -> Iterator[tuple[int, bytes]]:
    """Chunks of entries (first index, entries) as the reference verifier's (index, entry)."""
    for start, run in chunks:
        for offset, data in enumerate(run):
            yield start + offset, data


DomainCheck = Callable[[Session, str], None]
"""A deep check of a domain's off-ledger rows against the log ``origin`` (session, origin);
raises ``AuditFailure`` for the first divergence. The app assembles them
(``traceapp.deep_checks``)."""


@dataclass(frozen=True)
class AuditReport:
    size: int
    root: bytes
    checkpoints: int
    projection_rows: int | None


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

    Every hash the tree of ``size`` leaves has was read and compared (``StoredTree``); what
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
    kept = [level for level in range(height) if keeps_row(level)]
    # A row of a level not kept (the table is a row per 256 entries: a scan is cheap), then one
    # bound a query: SQLite answers "a < x OR a >= y" by reading the whole range.
    levels = select(LedgerHash.level).where(LedgerHash.log == origin).limit(1)
    strays: list[int | None] = [
        session.execute(levels.where(LedgerHash.level.not_in(kept))).scalar()
    ]
    for at in kept:
        idxs = (
            select(LedgerHash.idx).where(LedgerHash.log == origin, LedgerHash.level == at).limit(1)
        )
        if any(
            session.execute(idxs.where(outside)).first() is not None
            for outside in (LedgerHash.idx < 0, LedgerHash.idx >= size >> at)
        ):
            strays.append(at)
    for level in strays:
        if level is None:
            continue
        count = session.execute(
            select(func.count()).where(LedgerHash.log == origin, LedgerHash.level == level)
        ).scalar_one()
        expected = size >> level if level in kept else 0
        raise AuditFailure(
            f"ledger_hashes level {level}: expected {expected} "
            f"subtree hashes for {size} entries, found {count}"
        )


def verify_database(
    session: Session,
    ledger: Ledger,
    *,
    deep: bool = False,
    progress: Progress | None = None,
    domain_checks: Sequence[DomainCheck] = (),
    reference: bool = False,
) -> AuditReport:
    """Check everything stored for the ledger's log; with ``deep`` also the projections against
    a replay, then each of ``domain_checks``. AuditFailure names the first divergence.

    ``reference`` verifies the entries with ``ledger.verify.verify_log``, the sequential reference
    verifier alone, instead of the parallel fast path: the same verdict, slower."""
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
                f"{b64(cp.root_hash)}, the row says size {row.size} root {b64(row.root_hash)}"
            )
        opened[row.size] = cp
    stored = StoredEntries(session, origin, latest.size)
    tree = StoredTree(session, origin, latest.size)

    def observe(accepted: AcceptedEntries) -> None:
        stored.check(accepted)
        tree.check(accepted)

    report = (lambda done, total: progress("entries", done, total)) if progress else None
    vkey = ledger.log.vkey
    try:
        if reference:
            verified = reference_verify_log(
                _indexed(stored.chunks()),
                latest.note,
                vkey,
                progress=report,
                observer=observe,
                roots_at=opened,
            )
        else:
            verified = verify_log_chunks(
                stored.chunks(),
                latest.note,
                vkey,
                progress=report,
                observer=observe,
                roots_at=opened,
            )
    except LedgerError as exc:
        raise AuditFailure(str(exc)) from None
    _check_nothing_beyond(session, origin, latest.size)
    for size, cp in opened.items():
        if tree.roots.get(size) != cp.root_hash:
            raise AuditFailure(
                f"ledger_checkpoints size {size}: root {b64(cp.root_hash)} is not the tree of "
                f"the first {size} entries ({b64(tree.roots.get(size, b''))})"
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
                f"ledger_heads column {column}: expected {b64(want)}, found {b64(have)}"
            )
    # The frontier the next append starts from: the verified subtrees at the head's size (none
    # stored on a head from before migration 0006 that has not been appended to since).
    frontier = b"".join(SqlHashStore(session, origin).get_many(frontier_keys(latest.size)))
    if head.frontier is not None and head.frontier != frontier:
        raise AuditFailure(
            f"ledger_heads column frontier: expected {b64(frontier)}, found {b64(head.frontier)}"
        )
    rows = None
    if deep:
        rows = _verify_projections(session, origin, ledger.projectors, progress)
        for check in domain_checks:
            check(session, origin)
    return AuditReport(latest.size, verified.root, len(checkpoints), rows)


def _verify_projections(
    session: Session, origin: str, projectors: Projectors, progress: Progress | None
) -> int:
    """Replay the ledger into an in-memory database and compare every projection row."""
    scratch_engine = create_engine("sqlite://")
    Base.metadata.create_all(scratch_engine)
    try:
        with Session(scratch_engine) as scratch:
            replay(
                scratch,
                stream_entries(session, origin),
                projectors,
                (lambda n: progress("projections", n, 0)) if progress else None,
            )
            expected = snapshot(scratch)
    finally:
        scratch_engine.dispose()
    found = snapshot(session)
    difference = first_difference(expected, found)
    if difference is not None:
        raise AuditFailure(difference)
    return sum(len(rows) for rows in found.values())
