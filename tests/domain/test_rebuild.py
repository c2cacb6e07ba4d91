"""Principle 1: the tables are projections; rebuilding them from the entries changes nothing."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from support.scenario import VN, Scenario

from ledger.entry import parse_entry
from ledger.registry import KeyRegistry
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput
from traceapp.events.models import Event
from traceapp.events.services import declare_error
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.rebuild import PROJECTION_TABLES, first_difference, snapshot
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.models import PersonalData
from traceapp.recalls.services import RecallInput, issue_recall


def _populate(database: Database, ledger: Ledger, scenario: Scenario) -> None:
    with database.write() as s:
        shipped = s.execute(select(Event).where(Event.biz_step == "shipping")).scalar_one()
        fix = EventInput(
            type="ObjectEvent",
            event_time=datetime(2026, 11, 4, 9, tzinfo=VN),
            biz_step="shipping",
            items=scenario.items,
            read_point=scenario.farm,
        )
        declare_error(s, ledger, scenario.producer_key, shipped.event_id, "incorrect_data", [fix])
        issue_recall(
            s,
            ledger,
            scenario.producer_key,
            RecallInput([scenario.batch], "Độ ẩm vượt ngưỡng cho phép", "high"),
        )


def test_rebuild_recreates_every_table(
    app: Flask, runner: FlaskCliRunner, database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    _populate(database, ledger, scenario)
    with database.read_sessions() as s:
        before = snapshot(s)
    assert all(before[t] for t in PROJECTION_TABLES if t != "batch_inputs")
    result = runner.invoke(args=["ledger", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt the projections from" in result.output
    with database.read_sessions() as s:
        after = snapshot(s)
    assert first_difference(before, after) is None
    assert before == after


def test_a_changed_row_is_reported_with_table_key_and_values(
    database: Database, scenario: Scenario
) -> None:
    with database.read_sessions() as s:
        expected = snapshot(s)
    found = {t: {k: dict(r) for k, r in rows.items()} for t, rows in expected.items()}
    key = next(iter(found["products"]))
    found["products"][key]["name_vi"] = "Trà giả"
    message = first_difference(expected, found)
    assert message is not None and "products" in message and "name_vi" in message
    assert "Trà Shan tuyết Cổ thụ" in message and "Trà giả" in message


def test_privacy_erase_keeps_the_ledger_valid(
    runner: FlaskCliRunner, database: Database, scenario: Scenario
) -> None:
    result = runner.invoke(args=["privacy", "erase", scenario.producer])
    assert result.exit_code == 0 and "erased 2 personal field(s)" in result.output
    with database.read_sessions() as s:
        rows = s.execute(select(PersonalData)).scalars().all()
        entries = s.execute(select(LedgerEntry.entry).order_by(LedgerEntry.seq)).scalars().all()
    assert rows and all(r.value is None and r.salt is None and len(r.digest) == 32 for r in rows)
    registry = KeyRegistry()
    for data in entries:
        entry = parse_entry(data)
        registry.required_verifier(entry).verify(entry.signed_message(), entry.sig)
        registry.apply(entry)
    assert runner.invoke(args=["privacy", "erase", "pro_nope"]).exit_code == 2
