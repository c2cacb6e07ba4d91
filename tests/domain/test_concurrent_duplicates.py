"""Issue 14 item 5: two requests racing to record the same event on PostgreSQL.

Both plan before either commits, so neither plan sees the other's event; the second then
waits on the log's head lock and its row breaks ``uq_events_event_id`` (or, with a shared
idempotency key, ``uq_events_public_id``). It must answer ALREADY_EXISTS, not an internal error.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from support.scenario import VN, Scenario

from traceapp import create_app
from traceapp.db.sessions import Database, get_database
from traceapp.events.building import EventInput
from traceapp.events.models import Event
from traceapp.events.services import record_event, record_events
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.writer import Ledger

_WAITING_ON_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
    "AND datname = current_database()"
)


def _event(scenario: Scenario, minutes: int = 0) -> EventInput:
    return EventInput(
        type="ObjectEvent",
        event_time=datetime(2026, 11, 8, 9, 0, tzinfo=VN) + timedelta(minutes=minutes),
        biz_step="inspecting",
        items=scenario.items[:1],
    )


@pytest.mark.parametrize("shared_key", [False, True], ids=["own-keys", "shared-key-mixed"])
def test_a_concurrent_duplicate_event_already_exists(
    app_config: dict[str, Any],
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    shared_key: bool,
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: no race")
    # A second app: its own engine and writer queue, as another worker process would have.
    other = create_app(app_config)
    other_database, other_ledger = get_database(other), get_ledger(other)
    first_key = "race-1" if shared_key else None
    second_key = "race-1" if shared_key else None
    outcome: list[BaseException | None] = []

    def second_request() -> None:
        try:
            with other_database.write() as s:
                if shared_key:  # the same event among others, under the same key
                    record_events(
                        s,
                        other_ledger,
                        scenario.producer_key,
                        [_event(scenario, 5), _event(scenario)],
                        idempotency_key=second_key,
                    )
                else:
                    record_event(s, other_ledger, scenario.producer_key, _event(scenario))
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    racer = threading.Thread(target=second_request)
    with database.write() as s:
        record_event(s, ledger, scenario.producer_key, _event(scenario), idempotency_key=first_key)
        racer.start()
        # The second request has planned (our event is not committed) and waits on the head.
        deadline = time.monotonic() + 30
        with database.read_sessions() as watcher:
            while watcher.execute(_WAITING_ON_A_LOCK).scalar_one() == 0:
                assert time.monotonic() < deadline, "the second request never reached the lock"
                watcher.rollback()
                time.sleep(0.05)
    racer.join(timeout=60)
    assert len(outcome) == 1
    error = outcome[0]
    assert error is not None and getattr(error, "code", None) == "ALREADY_EXISTS", repr(error)
    with database.read_sessions() as s:
        assert (
            s.execute(
                select(func.count()).select_from(Event).where(Event.biz_step == "inspecting")
            ).scalar_one()
            == 1
        )
    get_database(other).engine.dispose()
