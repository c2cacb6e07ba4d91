"""Grow a test ledger past tile edges through the app's bulk path (``record_events``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.scenario import Scenario
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput
from traceapp.events.services import record_events
from traceapp.ledger_store.writer import Ledger

START = datetime(2026, 12, 1, tzinfo=UTC)


def append_inspections(
    database: Database, ledger: Ledger, scenario: Scenario, count: int, first: int = 0
) -> None:
    """Append `count` inspection events of the scenario's items, in one transaction; `first`
    numbers them apart from earlier calls (an event already recorded is not recorded again)."""
    events = [
        EventInput(
            type="ObjectEvent",
            event_time=START + timedelta(seconds=n),
            biz_step="inspecting",
            items=[scenario.items[n % len(scenario.items)]],
            read_point=scenario.farm,
        )
        for n in range(first, first + count)
    ]
    with database.write() as session:
        record_events(session, ledger, scenario.producer_key, events)
