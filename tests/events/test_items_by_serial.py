"""An item named by GTIN and serial is read from its serial, not by probing every batch of its
product: a product made for years has thousands of batches (issue 19's growth figures)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event
from support.scenario import Scenario

from traceapp.batches.models import Batch, Item
from traceapp.batches.services import BatchInput, create_batch, issue_items
from traceapp.batches.targets import find_target
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput
from traceapp.events.services import record_event
from traceapp.gs1.digital_link import DigitalLink
from traceapp.ledger_store.writer import Ledger
from traceapp.verification.loading import load

GTIN = "08938505974019"  # the scenario's product, in its 14-digit form


def _many_batches(database: Database, ledger: Ledger, scenario: Scenario) -> list[str]:
    """30 more batches of the scenario's product, two items each; the newest batch's items."""
    with database.write() as s:
        for n in range(30):
            batch = create_batch(
                s,
                ledger,
                scenario.producer_key,
                BatchInput(
                    product=scenario.product,
                    lot=f"S{n:03d}",
                    production_date=date(2026, 11, 1),
                    quantity="2",
                    unit="hộp",
                ),
            ).public_ids[0]
            items = issue_items(s, ledger, scenario.producer_key, batch, 2).receipt.public_ids
    return items


@contextmanager
def _statements(database: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(database.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", before)


def _plan(database: Database, statement: str, params: Any) -> str:
    with database.engine.connect() as conn:
        if database.engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            return "\n".join(str(row[-1]) for row in rows)
        # The test's tables are small: a scan would win. Which index paths the query leaves
        # the planner is the question.
        conn.exec_driver_sql("SET enable_seqscan = off")
        return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, params))


def test_lookups_by_gtin_and_serial_start_from_the_serial(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    items = _many_batches(database, ledger, scenario)
    with database.read_sessions() as s:
        serial, lot = s.execute(
            Item.__table__.select()
            .with_only_columns(Item.serial, Batch.lot)
            .join_from(Item, Batch, Item.batch_id == Batch.id)
            .where(Item.public_id == items[0])
        ).one()
    with _statements(database) as seen:
        with database.write() as s:  # the plausibility rules and the projection's lookup
            record_event(
                s,
                ledger,
                scenario.producer_key,
                EventInput(
                    type="ObjectEvent",
                    event_time=datetime(2026, 12, 1, tzinfo=UTC),
                    biz_step="inspecting",
                    items=[items[0]],
                ),
            )
        with database.read_sessions() as s:  # a Digital Link without its lot, and with it
            no_lot = find_target(s, DigitalLink(GTIN, serial=serial))
            assert no_lot is not None and no_lot.item is not None
            assert no_lot.item.public_id == items[0]
            page = load(s, DigitalLink(GTIN, serial=serial))
            assert page.item is not None and page.item.public_id == items[0]
            assert load(s, DigitalLink(GTIN, lot=lot, serial=serial)).item is not None
    by_serial = [(sql, params) for sql, params in seen if "items.serial" in _where(sql)]
    assert len(by_serial) >= 4, [sql for sql, _ in seen]  # rules, projection, target, page
    for sql, params in by_serial:
        plan = _plan(database, sql, params)
        assert "ix_items_serial" in plan, (sql, plan)
        assert "ix_batches_product_id" not in plan, (sql, plan)


def _where(sql: str) -> str:
    """The statement from its first WHERE on (an INSERT's lookup subqueries included)."""
    at = sql.find("WHERE")
    return sql[at:] if at >= 0 else ""
