"""The sequencer: appends entries in the caller's transaction (DESIGN §11).

Lock the log's head (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the write session's
``BEGIN IMMEDIATE`` already holds the database's write lock), assign consecutive ``seq``, insert
the entries and the subtree hashes of stored levels they complete (``store.keeps_row``), sign and store the checkpoint, move the head.
The unique ``(log, seq)`` key makes a gap or a fork impossible even if the lock were bypassed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ledger.checkpoint import Checkpoint
from ledger.entry import GENESIS_PREV, Entry
from ledger.errors import LedgerError
from ledger.merkle import CompactRange, leaf_hash
from ledger.signing import build_entry, format_recorded, sign_checkpoint
from ledger.tree_store import compact_range_from_store
from traceapp.db.replicas import WRITTEN_SIZE
from traceapp.db.statements import Prepared, RowsInsert, insert_together
from traceapp.ledger_store.log import LogIdentity
from traceapp.ledger_store.models import LedgerCheckpoint, LedgerEntry, LedgerHash, LedgerHead
from traceapp.ledger_store.store import SqlHashStore, keeps_row

_HEADS = LedgerHead.__table__
_LOCK_HEAD = Prepared(
    select(_HEADS.c.size, _HEADS.c.last_leaf_hash, _HEADS.c.root_hash, _HEADS.c.frontier)
    .where(_HEADS.c.log == bindparam("log"))
    .with_for_update()
)
# The entries, the subtree hashes they complete, the checkpoint and the head: one statement on
# PostgreSQL (``insert_together``); none reads another's rows.
_ENTRIES = RowsInsert(LedgerEntry.__table__)
_HASHES = RowsInsert(LedgerHash.__table__)
_CHECKPOINTS = RowsInsert(LedgerCheckpoint.__table__)
_FIRST_HEAD = (
    "INSERT INTO ledger_heads (log, size, last_leaf_hash, root_hash, frontier) "
    "VALUES (:log, :size, :last_leaf_hash, :root_hash, :frontier)"
)
_MOVE_HEAD = (
    "UPDATE ledger_heads SET size = :size, last_leaf_hash = :last_leaf_hash, "
    "root_hash = :root_hash, frontier = :frontier WHERE log = :log"
)


def _restore(session: Session, origin: str, head: Any) -> CompactRange:
    """The tree at the locked head: from the frontier stored with it when that gives the head's
    root (a head written before 0006 has none), else from ``ledger_hashes``."""
    if head is None:
        return CompactRange()
    stored = head.frontier
    if stored is not None and len(stored) % 32 == 0:
        hashes = [bytes(stored[i : i + 32]) for i in range(0, len(stored), 32)]
        try:
            compact = CompactRange.from_frontier(head.size, hashes)
        except LedgerError:
            compact = None
        if compact is not None and compact.root() == head.root_hash:
            return compact
    return compact_range_from_store(SqlHashStore(session, origin), head.size)


@dataclass(frozen=True)
class SignedStatement:
    type: str
    actor: str
    statement: dict[str, Any]
    sig: bytes


@dataclass(frozen=True)
class Appended:
    entry: Entry
    leaf_hash: bytes

    @property
    def seq(self) -> int:
        return self.entry.seq


@dataclass(frozen=True)
class AppendResult:
    appended: list[Appended]
    checkpoint: str
    size: int


def append(
    session: Session,
    log: LogIdentity,
    statements: Sequence[SignedStatement],
    now: datetime | None = None,
) -> AppendResult:
    if not statements:
        raise ValueError("nothing to append")
    origin = log.origin
    head = _LOCK_HEAD.first(session, {"log": origin})
    size = head.size if head is not None else 0
    prev = head.last_leaf_hash if head is not None else GENESIS_PREV
    compact = _restore(session, origin, head)
    recorded = format_recorded(now or datetime.now(UTC))

    entry_rows: list[dict[str, Any]] = []
    hash_rows: list[dict[str, Any]] = []
    appended: list[Appended] = []
    for offset, signed in enumerate(statements):
        seq = size + offset
        data = build_entry(
            origin, seq, prev, recorded, signed.type, signed.actor, signed.statement, signed.sig
        )
        leaf = leaf_hash(data)
        entry = Entry(
            1, origin, seq, prev, recorded, signed.type, signed.actor, signed.statement, signed.sig
        )
        appended.append(Appended(entry, leaf))
        entry_rows.append(
            {
                "log": origin,
                "seq": seq,
                "entry": data,
                "leaf_hash": leaf,
                "type": signed.type,
                "actor": signed.actor,
            }
        )
        hash_rows.extend(
            {"log": origin, "level": level, "idx": idx, "hash": digest}
            for level, idx, digest in compact.append(leaf)
            if keeps_row(level)
        )
        prev = leaf

    new_size = compact.size
    root = compact.root()
    frontier = b"".join(h for _, _, h in compact.frontier())
    note = sign_checkpoint(Checkpoint(origin, new_size, root), log.signer)
    checkpoint = {"log": origin, "size": new_size, "root_hash": root, "note": note}
    moved = {
        "log": origin,
        "size": new_size,
        "last_leaf_hash": prev,
        "root_hash": root,
        "frontier": frontier,
    }
    insert_together(
        session,
        [(_ENTRIES, entry_rows), (_HASHES, hash_rows), (_CHECKPOINTS, [checkpoint])],
        _FIRST_HEAD if head is None else _MOVE_HEAD,
        moved,
    )
    session.info[WRITTEN_SIZE] = new_size  # read-your-writes on replicas (traceapp.db.sessions)
    return AppendResult(appended, note, new_size)
