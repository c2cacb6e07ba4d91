"""The log's head keeps the Merkle frontier an append starts from (migration 0006)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from support.integrity import assert_ledger_intact
from support.scenario import Scenario

from ledger.merkle import frontier_keys
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput
from traceapp.events.services import record_event
from traceapp.ledger_store.consistency import verify_database
from traceapp.ledger_store.models import LedgerHead
from traceapp.ledger_store.store import SqlHashStore
from traceapp.ledger_store.writer import Ledger


def _head_and_stored_frontier(database: Database, ledger: Ledger) -> tuple[LedgerHead, bytes]:
    with database.read_sessions() as s:
        head = s.get(LedgerHead, ledger.origin)
        assert head is not None
        keys = frontier_keys(head.size)
        return head, b"".join(SqlHashStore(s, ledger.origin).get_many(keys))


@pytest.mark.parametrize(
    "kept",
    [None, b"\x00" * 32, b"\x01" * 5],
    ids=["none (a head from before 0006)", "a wrong hash", "not whole hashes"],
)
def test_an_append_starts_from_the_kept_frontier_or_else_from_the_stored_subtrees(
    database: Database, ledger: Ledger, scenario: Scenario, kept: bytes | None
) -> None:
    head, stored = _head_and_stored_frontier(database, ledger)
    assert head.frontier == stored  # every append keeps it
    with database.write() as s:
        s.execute(update(LedgerHead).values(frontier=kept))
    event = EventInput(
        type="ObjectEvent",
        event_time=datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
        action="OBSERVE",
        biz_step="inspecting",
        items=scenario.items[:1],
    )
    with database.write() as s:
        record_event(s, ledger, scenario.producer_key, event)
    head, stored = _head_and_stored_frontier(database, ledger)
    assert head.frontier == stored
    with database.read_sessions() as s:
        assert assert_ledger_intact(s, ledger) == head.size
        verify_database(s, ledger)
