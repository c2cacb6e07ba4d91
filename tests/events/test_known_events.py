"""A bulk append looks its eventIDs up one index probe each, whatever the planner knows."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from support.grow import append_inspections
from support.scenario import Scenario

from traceapp.db.sessions import Database
from traceapp.events.models import Event
from traceapp.events.planning import _known_events
from traceapp.ledger_store.writer import Ledger


def test_recorded_event_ids_are_found_among_unknown_ones(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    append_inspections(database, ledger, scenario, 600)
    with database.read_sessions() as s:
        recorded = [eid for (eid,) in s.query(Event.event_id).order_by(Event.id).limit(700)]
        asked = [f"urn:uuid:00000000-0000-4000-8000-{n:012d}" for n in range(900)] + recorded
        known = _known_events(s, [*asked, recorded[0]])  # a repeated ID is asked once
    assert sorted(known) == sorted(recorded) and len(recorded) > 600
    assert all(producer is not None and not declared for producer, declared in known.values())


def test_on_postgresql_a_table_without_statistics_is_probed_not_scanned(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    """Without statistics (never analysed, as a fresh or fast-growing table), an IN list of
    500 eventIDs was planned as a scan of ``events`` comparing each row with each ID."""
    from traceapp.events.planning import _KNOWN_EVENTS_PG

    if database.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner; SQLite plans the IN list on the unique index")
    with database.engine.begin() as conn:  # no analyse behind the test's back
        conn.execute(text("ALTER TABLE events SET (autovacuum_enabled = false)"))
    append_inspections(database, ledger, scenario, 3000)
    ids = "ARRAY[" + ", ".join(f"'urn:uuid:{n}'" for n in range(500)) + "]::varchar[]"
    sql = str(_KNOWN_EVENTS_PG.statement).replace("CAST(:ids AS varchar[])", ids)
    with database.engine.connect() as conn:
        never = conn.execute(
            text("SELECT reltuples < 0 FROM pg_class WHERE relname = 'events'")
        ).scalar()
        plan = "\n".join(row[0] for row in conn.execute(text("EXPLAIN " + sql)))
    assert never, "the table was analysed: the test needs one without statistics"
    assert "Seq Scan on events" not in plan, plan
    assert "uq_events_event_id" in plan, plan
