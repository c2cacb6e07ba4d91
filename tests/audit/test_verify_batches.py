"""``verify_database`` on a pool with small batches: every batch boundary, checkpoint and stored
hash of the scenario's log is checked, as on a log of millions of entries."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, update
from support.grow import append_inspections
from support.integrity import drop_append_only_triggers
from support.scenario import Scenario

from ledger.fast import readers
from ledger.fast import verify as verify_module
from ledger.tiles import TILE_WIDTH
from traceapp.db.sessions import Database
from traceapp.ledger_store import stored_rows as audit_module
from traceapp.ledger_store.consistency import verify_database
from traceapp.ledger_store.models import (
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHash,
)
from traceapp.ledger_store.stored_rows import AuditFailure
from traceapp.ledger_store.writer import Ledger


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 3 entries on a pool from 5 entries on, rows read 4 at a time."""
    monkeypatch.setattr(readers, "BATCH_SIZE", 3)
    monkeypatch.setattr(verify_module, "PARALLEL_THRESHOLD", 5)
    monkeypatch.setattr(audit_module, "CHUNK", 4)


def test_a_pool_of_small_batches_verifies_the_log_as_one_batch_does(
    database: Database, ledger: Ledger, populated: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    with database.read_sessions() as session:
        whole = verify_database(session, ledger)
        checkpoints = session.execute(select(func.count()).select_from(LedgerCheckpoint)).scalar()
    monkeypatch.setattr(readers, "BATCH_SIZE", 3)
    monkeypatch.setattr(verify_module, "PARALLEL_THRESHOLD", 5)
    monkeypatch.setattr(audit_module, "CHUNK", 4)
    with database.read_sessions() as session:
        assert verify_database(session, ledger) == whole
    assert whole.size > 15 and whole.checkpoints == checkpoints > 1


def _failure(database: Database, ledger: Ledger, change: Any) -> str:
    with database.write_sessions() as session:
        session.begin()
        session.execute(change)
        try:
            verify_database(session, ledger)
        except AuditFailure as failure:
            return str(failure)
        finally:
            session.rollback()
    raise AssertionError("the change was not detected")


@pytest.mark.usefixtures("small_batches")
def test_each_stored_copy_is_checked_in_every_batch(
    database: Database, ledger: Ledger, populated: Scenario
) -> None:
    with database.read_sessions() as session:
        size = session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()
    append_inspections(database, ledger, populated, 3 * TILE_WIDTH - 5 - size)  # level 8: 0, 1
    drop_append_only_triggers(database)
    with database.read_sessions() as session:
        size = session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()
    late = size - 5  # in one of the last batches
    entry = (LedgerEntry.log == ledger.origin) & (LedgerEntry.seq == late)

    def node(level: int, idx: int) -> Any:
        return (
            (LedgerHash.log == ledger.origin)
            & (LedgerHash.level == level)
            & (LedgerHash.idx == idx)
        )

    cases = {
        update(LedgerEntry).where(entry).values(type="x.y"): (
            f"ledger_entries seq {late} column type: expected "
        ),
        update(LedgerEntry).where(entry).values(actor="x+00000000"): (
            f"ledger_entries seq {late} column actor: expected "
        ),
        update(LedgerEntry).where(entry).values(leaf_hash=b"\x01" * 32): (
            f"ledger_entries seq {late} column leaf_hash: expected "
        ),
        update(LedgerHash).where(node(8, 1)).values(hash=b"\x01" * 32): (
            "ledger_hashes (level 8, idx 1) column hash: expected "
        ),
        update(LedgerHash).where(node(4, late // 16 - 1)).values(hash=b"\x01" * 32): (
            f"ledger_hashes (level 4, idx {late // 16 - 1}) column hash: expected "
        ),
        delete(LedgerHash).where(node(8, 0)): (
            "ledger_hashes (level 8, idx 0): missing; found idx 1 next"
        ),
        delete(LedgerHash).where(node(8, 1)): (
            "ledger_hashes (level 8, idx 1) column hash: expected "
        ),
        delete(LedgerEntry).where(entry): (
            f"ledger_entries: entry {late} is missing; found {late + 1} next"
        ),
        delete(LedgerEntry).where(  # the last of a chunk of rows
            (LedgerEntry.log == ledger.origin) & (LedgerEntry.seq == 11)
        ): "ledger_entries: entry 11 is missing; found 12 next",
        delete(LedgerEntry).where(
            (LedgerEntry.log == ledger.origin) & (LedgerEntry.seq == size - 1)
        ): f"ledger_entries: entry {size - 1} is missing (head says {size})",
    }
    height = size.bit_length()
    # Level 0 is the entries' leaf_hash and levels between stored levels are folded, never stored.
    for level, idx, expected in (
        (8, size >> 8, size >> 8),
        (4, size >> 4, size >> 4),
        (0, 0, 0),
        (3, 0, 0),
        (height, 0, 0),
        (-1, 0, 0),
    ):
        stray = insert(LedgerHash).values(log=ledger.origin, level=level, idx=idx, hash=b"x" * 32)
        cases[stray] = (
            f"ledger_hashes level {level}: expected {expected} subtree hashes for {size} "
            f"entries, found {expected + 1}"
        )
    for change, message in cases.items():
        assert _failure(database, ledger, change).startswith(message), message
