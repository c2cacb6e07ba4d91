"""An independent check of a database's ledger, using only the ledger library; and a way
around its append-only triggers, for tests that tamper with it."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ledger.checkpoint import open_checkpoint
from ledger.entry import GENESIS_PREV, parse_entry
from ledger.merkle import CompactRange, leaf_hash
from ledger.proof_verification import verify_consistency
from ledger.registry import KeyRegistry
from traceapp.db.sessions import Database
from traceapp.ledger_store.models import APPEND_ONLY_TABLES, LedgerCheckpoint, LedgerEntry
from traceapp.ledger_store.reads import consistency
from traceapp.ledger_store.writer import Ledger


def assert_ledger_intact(session: Session, ledger: Ledger) -> int:
    """Contiguous seq, chain, signatures, every checkpoint's root, and consistency with the last.

    Returns the log size.
    """
    compact = CompactRange()
    roots: dict[int, bytes] = {}
    registry = KeyRegistry()
    prev = GENESIS_PREV
    rows = session.execute(
        select(LedgerEntry.seq, LedgerEntry.entry).order_by(LedgerEntry.seq)
    ).all()
    for index, (seq, data) in enumerate(rows):
        assert seq == index, f"gap or duplicate at {index}: found seq {seq}"
        entry = parse_entry(data)
        assert entry.seq == index and entry.prev == prev, f"chain broken at {index}"
        registry.required_verifier(entry).verify(entry.signed_message(), entry.sig)
        registry.apply(entry)
        prev = leaf_hash(data)
        compact.append(prev)
        roots[compact.size] = compact.root()
    checkpoints = session.execute(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.size)
    ).scalars()
    last = None
    opened = []
    for row in checkpoints:
        checkpoint = open_checkpoint(row.note, ledger.log.verifier)
        assert checkpoint.size == row.size and checkpoint.root_hash == roots[row.size]
        opened.append(checkpoint)
        last = checkpoint
    assert last is not None and last.size == len(rows)
    for checkpoint in opened:
        proof = consistency(session, ledger.origin, checkpoint.size, last.size)
        verify_consistency(checkpoint.size, last.size, checkpoint.root_hash, last.root_hash, proof)
    return len(rows)


def drop_append_only_triggers(database: Database) -> None:
    """Let a test tamper with the ledger tables as someone with write access to the database
    could, behind the triggers that refuse UPDATE and DELETE."""
    with database.engine.begin() as conn:
        for table in APPEND_ONLY_TABLES:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
            else:
                conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
