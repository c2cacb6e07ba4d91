"""Issue 14 item 1: an item's status is a function of its non-retracted events.

A retraction (EPCIS errorDeclaration) used to mark the event corrected but leave the status it
caused: an item wrongly recorded as destroyed stayed destroyed, and its page kept warning that
it may be counterfeit. The status is now replayed without the retracted event, in the
projection, so ``ledger rebuild`` reaches the same rows.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from support.scenario import VN, Scenario

from traceapp.batches.models import Item
from traceapp.batches.status import CLAIM, EVENT, ISSUED, RECALL, StatusChange, fold_status
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput
from traceapp.events.models import Event
from traceapp.events.services import declare_error, record_epcis_events, record_event
from traceapp.ledger_store.rebuild import first_difference, snapshot
from traceapp.ledger_store.writer import Ledger
from traceapp.recalls.services import RecallInput, issue_recall

DESTROYED_WARNINGS = ("tiêu hủy: có thể là hàng giả", "recorded as destroyed")


_STEPS = {"destroyed": "destroying", "retail_sold": "retail_selling", "returned": "receiving"}


def _record(
    database: Database, ledger: Ledger, actor: str, items: list[str], disposition: str, day: int
) -> str:
    event = EventInput(
        type="ObjectEvent",
        event_time=datetime(2026, 11, day, 9, tzinfo=VN),
        biz_step=_STEPS[disposition],
        disposition=disposition,
        items=items,
    )
    with database.write() as s:
        record_event(s, ledger, actor, event)
    with database.read_sessions() as s:
        return s.execute(
            select(Event.event_id).order_by(Event.ledger_seq.desc()).limit(1)
        ).scalar_one()


def _retract(database: Database, ledger: Ledger, actor: str, event_id: str) -> None:
    with database.write() as s:
        declare_error(s, ledger, actor, event_id, "incorrect_data")


def _item(database: Database, public_id: str) -> tuple[str, int, int]:
    with database.read_sessions() as s:
        item = s.execute(select(Item).where(Item.public_id == public_id)).scalar_one()
        return item.status, item.status_seq, item.issued_seq


def _page(client: FlaskClient, database: Database, scenario: Scenario) -> str:
    with database.read_sessions() as s:
        serial = s.execute(
            select(Item.serial).where(Item.public_id == scenario.items[0])
        ).scalar_one()
    response = client.get(f"/01/08938505974019/10/L2026-11A/21/{serial}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _rebuilds_identically(runner: FlaskCliRunner, database: Database) -> None:
    with database.read_sessions() as s:
        before = snapshot(s)
    result = runner.invoke(args=["ledger", "rebuild"])
    assert result.exit_code == 0, result.output
    with database.read_sessions() as s:
        assert first_difference(before, snapshot(s)) is None


def test_retracting_a_destruction_makes_the_item_active_again(
    client: FlaskClient,
    runner: FlaskCliRunner,
    database: Database,
    ledger: Ledger,
    admin: str,
    scenario: Scenario,
) -> None:
    item = scenario.items[0]
    destroyed = _record(database, ledger, admin, [item], "destroyed", 10)
    assert _item(database, item)[0] == "destroyed"
    assert any(w in _page(client, database, scenario) for w in DESTROYED_WARNINGS)
    _retract(database, ledger, admin, destroyed)
    status, status_seq, issued_seq = _item(database, item)
    assert (status, status_seq) == ("active", issued_seq)
    assert not any(w in _page(client, database, scenario) for w in DESTROYED_WARNINGS)
    _rebuilds_identically(runner, database)


def test_retracting_a_sale_makes_the_item_active_again(
    runner: FlaskCliRunner, database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    item = scenario.items[1]
    sold = _record(database, ledger, scenario.producer_key, [item], "retail_sold", 10)
    assert _item(database, item)[0] == "sold"
    _retract(database, ledger, scenario.producer_key, sold)
    assert _item(database, item)[0] == "active"
    _rebuilds_identically(runner, database)


def test_a_retraction_leaves_the_other_statements_in_force(
    runner: FlaskCliRunner, database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    first, second = scenario.items[:2]
    sold = _record(database, ledger, scenario.producer_key, [first, second], "retail_sold", 10)
    # Nothing but a return may follow a retail sale (docs/rules.md): returned, then destroyed.
    _record(database, ledger, scenario.producer_key, [second], "returned", 11)
    destroyed = _record(database, ledger, admin, [second], "destroyed", 12)
    # The later destruction still holds when the sale is retracted.
    _retract(database, ledger, scenario.producer_key, sold)
    assert _item(database, first)[0] == "active"
    assert _item(database, second)[0] == "destroyed"
    # A recall that the wrong destruction had kept from applying applies once it is retracted.
    with database.write() as s:
        recall = issue_recall(
            s, ledger, scenario.producer_key, RecallInput([scenario.batch], "Ẩm mốc", "high")
        )
    assert _item(database, second)[0] == "destroyed"
    _retract(database, ledger, admin, destroyed)
    status, status_seq, _ = _item(database, second)
    assert (status, status_seq) == ("recalled", recall.ledger_index)
    _rebuilds_identically(runner, database)


def test_an_event_captured_already_retracted_changes_no_status(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    with database.read_sessions() as s:
        packed = s.execute(select(Event).where(Event.biz_step == "packing")).scalar_one()
    document: dict[str, Any] = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2026-11-12T02:00:00.000Z",
        "eventTimeZoneOffset": "+07:00",
        "epcList": [json.loads(packed.document)["epcList"][0]],
        "disposition": "https://ref.gs1.org/cbv/Disp-destroyed",
        "errorDeclaration": {"declarationTime": "2026-11-12T03:00:00.000Z"},
    }
    with database.write() as s:
        record_epcis_events(s, ledger, admin, [document])
    assert _item(database, scenario.items[0])[0] == "active"


def test_the_status_fold_follows_the_projection_rules() -> None:
    issued = StatusChange(1, ISSUED)
    assert fold_status([issued]) == ("active", 1)
    assert fold_status([issued, StatusChange(2, EVENT, "sold")]) == ("sold", 2)
    # A claimed item keeps its status through events; a recall still reaches it.
    claimed = [issued, StatusChange(2, CLAIM), StatusChange(3, EVENT, "destroyed")]
    assert fold_status(claimed) == ("claimed", 2)
    assert fold_status([*claimed, StatusChange(4, RECALL)]) == ("recalled", 4)
    # A recall does not override an item already sold or destroyed.
    assert fold_status([issued, StatusChange(2, EVENT, "sold"), StatusChange(3, RECALL)]) == (
        "sold",
        2,
    )
