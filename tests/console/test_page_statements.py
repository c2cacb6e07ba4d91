"""N+1 guard for the console: each page runs a fixed number of SQL statements however much the
producer has (places, batches, items, events), and recording a step for items picked by their
printed codes costs no console query per code (bench/bench_console.py measures the time)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from support.scenario import VN, Scenario

from traceapp.batches.models import Item
from traceapp.batches.services import BatchInput, create_batch, issue_items
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput, Quantity
from traceapp.events.models import Event
from traceapp.events.services import record_events
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.services import LocationInput, register_location

from .conftest import People, owner_of

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN")):
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", before)
    yield seen
    event.remove(database.engine, "before_cursor_execute", before)


def _grow(database: Database, ledger: Ledger, scenario: Scenario, n: int) -> None:
    """One more place, batch with items, and three steps of the scenario's batch."""
    key = scenario.producer_key
    with database.write() as s:
        place = register_location(
            s, ledger, key, LocationInput(scenario.producer, f"KHO-{n}", f"Kho {n}", "warehouse")
        ).public_ids[0]
        batch = create_batch(
            s,
            ledger,
            key,
            BatchInput(scenario.product, f"G-{n}", date(2026, 11, 1), origin_location=place),
        ).public_ids[0]
        issue_items(s, ledger, key, batch, 3)
        steps = [
            EventInput(
                type="ObjectEvent",
                event_time=datetime(2026, 11, 10, tzinfo=VN) + timedelta(minutes=10 * n + k),
                biz_step="inspecting",
                quantities=[Quantity(scenario.batch)],
                read_point=place,
            )
            for k in range(3)
        ]
        record_events(s, ledger, key, steps)


def test_console_pages_do_not_grow_with_the_data(
    app: Flask,
    people: People,
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    statements: list[str],
) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "a@example.vn")
    batch = scenario.batch
    pages = [
        "/console/",
        "/console/products",
        f"/console/products/{scenario.product}",
        "/console/places",
        f"/console/places/{scenario.farm}/edit",
        "/console/batches",
        f"/console/batches/{batch}",
        f"/console/batches/{batch}/events",
        f"/console/batches/{batch}/events/new",
    ]
    with database.read_sessions() as s:
        serials = list(
            s.execute(select(Item.serial).where(Item.public_id.in_(scenario.items))).scalars()
        )
    counts: list[list[int]] = []
    for n in range(3):
        _grow(database, ledger, scenario, n)
        row = []
        for page in pages:
            statements.clear()
            assert owner.get(page).status_code == 200, page
            row.append(len(statements))
        form = owner.get(f"/console/batches/{batch}/events/new").get_data(as_text=True)
        csrf = _CSRF.search(form)
        assert csrf is not None
        statements.clear()
        # One code, then three, then five: the same statements.
        sent = owner.post(
            f"/console/batches/{batch}/events/new",
            data={
                "csrf_token": csrf.group(1),
                "step": "inspect",
                "when": f"2026-11-2{n}T10:00",
                "scope": "items",
                "codes": "\n".join(serials[: 1 + 2 * n]),
            },
        )
        assert sent.status_code == 303, sent.get_data(as_text=True)[:500]
        row.append(len(statements))
        counts.append(row)
    pages_only = [row[:-1] for row in counts]
    assert pages_only[0] == pages_only[1] == pages_only[2], counts
    # Two more codes, two more statements: the domain's read of each item it is given
    # (``events.building.Resolver.prefetch``: one pipelined round trip on PostgreSQL when no
    # listener observes the connection), none from the console's lookup of the codes.
    recorded = [row[-1] for row in counts]
    assert recorded == [recorded[0], recorded[0] + 2, recorded[0] + 4], counts
    with database.read_sessions() as s:
        last = s.execute(select(Event).order_by(Event.ledger_seq.desc())).scalars().first()
    assert last is not None and last.biz_step == "inspecting"
