"""Read-side queries of the ledger: checkpoints, entries and proofs from stored hashes."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ledger.tree_store import consistency_proof, inclusion_proof
from traceapp.db.statements import Prepared
from traceapp.errors import NotFound, ValidationFailed
from traceapp.ledger_store.models import LedgerCheckpoint, LedgerEntry, LedgerHead
from traceapp.ledger_store.store import SqlHashStore


def log_size(session: Session, origin: str) -> int:
    size = session.execute(select(LedgerHead.size).where(LedgerHead.log == origin)).scalar()
    return size or 0


def latest_checkpoint(session: Session, origin: str) -> LedgerCheckpoint:
    checkpoint = session.execute(
        select(LedgerCheckpoint)
        .where(LedgerCheckpoint.log == origin)
        .order_by(LedgerCheckpoint.size.desc())
        .limit(1)
    ).scalar_one_or_none()
    if checkpoint is None:
        raise NotFound("the log has no checkpoint yet", field="size")
    return checkpoint


def checkpoint_at(session: Session, origin: str, size: int) -> LedgerCheckpoint:
    checkpoint = session.get(LedgerCheckpoint, (origin, size))
    if checkpoint is None:
        raise NotFound(f"no checkpoint was signed at size {size}", field="size")
    return checkpoint


def entry_at(session: Session, origin: str, index: int) -> LedgerEntry:
    entry = session.get(LedgerEntry, (origin, index))
    if entry is None:
        raise NotFound(f"no entry {index}", field="index")
    return entry


def _check_size(session: Session, origin: str, size: int, field: str) -> None:
    current = log_size(session, origin)
    if not 0 <= size <= current:
        raise ValidationFailed(f"must be between 0 and the log size {current}", field=field)


def inclusion(session: Session, origin: str, index: int, size: int) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(index, D[size]), from stored subtree hashes in O(log n) reads."""
    _check_size(session, origin, size, "size")
    if not 0 <= index < size:
        raise ValidationFailed("must be at least 0 and less than size", field="index")
    return inclusion_proof(SqlHashStore(session, origin), index, size)


def consistency(session: Session, origin: str, old: int, new: int) -> list[bytes]:
    """RFC 6962 §2.1.2 PROOF(old, D[new]), from stored subtree hashes in O(log n) reads."""
    _check_size(session, origin, new, "new")
    if not 0 <= old <= new:
        raise ValidationFailed("must be between 0 and new", field="old")
    return consistency_proof(SqlHashStore(session, origin), old, new)


# Compiled once, run on the driver (``Prepared``): the consumer page reads the latest checkpoint
# on every request, and on a cached page it is the only read (~0.1 ms less CPU than through
# ``Connection.execute``, measured on PostgreSQL).
_LATEST_HEAD = Prepared(
    select(LedgerCheckpoint.size, LedgerCheckpoint.root_hash, LedgerCheckpoint.note)
    .where(LedgerCheckpoint.log == bindparam("origin"))
    .order_by(LedgerCheckpoint.size.desc())
    .limit(1)
)


def latest_checkpoint_head(session: Session, origin: str) -> tuple[int, bytes, str]:
    """(size, root hash, signed note) of the latest checkpoint: one indexed row, no ORM entity."""
    row = _LATEST_HEAD.first(session, {"origin": origin})
    if row is None:
        raise NotFound("the log has no checkpoint yet", field="size")
    return int(row[0]), bytes(row[1]), str(row[2])
