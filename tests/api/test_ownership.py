"""Issue 14 item 1: who may record events on whose items is one rule, the same on every door.

Producer B tried to destroy, sell or recall producer A's item through each door (GraphQL
``recordEvent``/``recordEvents``/``captureEpcisEvents``/``captureEpcisDocument``, REST
``POST /epcis/capture``, ``traceapp epcis import``): every door refuses with the same code and
message, nothing is appended, and the item stays active.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.auth.services import create_token
from traceapp.batches.models import Item
from traceapp.db.sessions import Database
from traceapp.events.epc import item_epc
from traceapp.ledger_store.models import LedgerHead
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.services import ProducerInput, producer_key, register_producer
from traceapp.products.models import Product

from .conftest import Gql, global_id

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]


def _rival(database: Database, ledger: Ledger, admin: str) -> tuple[str, str, str]:
    """Producer B: its public ID, key name and bearer token."""
    with database.write() as s:
        rival = register_producer(
            s,
            ledger,
            admin,
            ProducerInput(
                kind="enterprise",
                name="Công ty TNHH Thương mại Bình Minh",
                province="Hà Nội",
                address_recorded_on="2025-07-01",
            ),
        ).public_ids[0]
    with database.write() as s:
        return rival, producer_key(s, rival), create_token(s, "producer", rival)[1]


def _size(database: Database, ledger: Ledger) -> int:
    with database.read_sessions() as s:
        head = s.get(LedgerHead, ledger.origin)
        return head.size if head else 0


def _status(database: Database, public_id: str) -> str:
    with database.read_sessions() as s:
        return s.execute(select(Item.status).where(Item.public_id == public_id)).scalar_one()


def _epc(database: Database, scenario: Scenario) -> str:
    with database.read_sessions() as s:
        item = s.execute(select(Item).where(Item.public_id == scenario.items[0])).scalar_one()
        gtin = s.execute(select(Product.gtin).where(Product.public_id == scenario.product))
        return item_epc(gtin.scalar_one(), item.serial)


def _event(epc: str, disposition: str, minute: int) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": f"2026-12-01T10:{minute:02d}:00.000Z",
        "eventTimeZoneOffset": "+07:00",
        "epcList": [epc],
        "bizStep": "https://ref.gs1.org/cbv/BizStep-destroying",
        "disposition": f"https://ref.gs1.org/cbv/Disp-{disposition}",
    }


def _document(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-12-01T11:00:00.000Z",
        "epcisBody": {"eventList": [event]},
    }


def _mutation(gql: Gql, name: str, input_type: str, data: dict[str, Any], token: str) -> Any:
    query = (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) "
        "{ entryCount userErrors { field message code } } }"
    )
    result = gql(query, {"input": data}, token)
    assert "errors" not in result, result
    return result["data"][name]


def _refusals(
    gql: Gql,
    client: FlaskClient,
    runner: FlaskCliRunner,
    tmp_path: Path,
    rival: str,
    token: str,
    epc: str,
    item: str,
    disposition: str,
) -> list[tuple[str, str, str]]:
    """(door, code, message) of every door's refusal of B's event on A's item."""
    refusals: list[tuple[str, str, str]] = []
    typed = {
        "type": "OBJECT_EVENT",
        "eventTime": "2026-12-01T17:00:00+07:00",
        "bizStep": "destroying",
        "disposition": disposition,
        "items": [global_id("Item", item)],
    }
    for door, name, input_type, data in (
        ("recordEvent", "recordEvent", "RecordEventInput", {"event": typed}),
        ("recordEvents", "recordEvents", "RecordEventsInput", {"events": [typed]}),
        (
            "captureEpcisEvents",
            "captureEpcisEvents",
            "CaptureEpcisEventsInput",
            {"events": [_event(epc, disposition, 1)]},
        ),
        (
            "captureEpcisDocument",
            "captureEpcisDocument",
            "CaptureEpcisDocumentInput",
            {"document": _document(_event(epc, disposition, 2))},
        ),
    ):
        payload = _mutation(gql, name, input_type, data, token)
        assert payload["entryCount"] == 0, (door, payload)
        (error,) = payload["userErrors"]
        refusals.append((door, error["code"], error["message"]))
    rest = client.post(
        "/epcis/capture",
        data=json.dumps(_document(_event(epc, disposition, 3))),
        headers={
            "Content-Type": "application/ld+json",
            "Authorization": f"Bearer {token}",
            "Prefer": "wait",
        },
    )
    assert rest.status_code == 400, rest.json
    (issue,) = rest.json["issues"]
    refusals.append(("POST /epcis/capture", issue["rule"], issue["message"]))
    path = tmp_path / "import.jsonld"
    path.write_text(json.dumps(_document(_event(epc, disposition, 4))), encoding="utf-8")
    imported = runner.invoke(args=["epcis", "import", str(path), "--producer", rival])
    assert imported.exit_code == 1, imported.output
    refusals.append(("epcis import", "FORBIDDEN", imported.output))
    return refusals


@pytest.mark.parametrize("disposition", ["destroyed", "retail_sold", "recalled"])
def test_no_door_lets_a_producer_change_another_producers_item(
    gql: Gql,
    client: FlaskClient,
    runner: FlaskCliRunner,
    tmp_path: Path,
    database: Database,
    ledger: Ledger,
    admin: str,
    scenario: Scenario,
    disposition: str,
) -> None:
    rival, rival_key, token = _rival(database, ledger, admin)
    epc = _epc(database, scenario)
    before = _size(database, ledger)
    refusals = _refusals(
        gql, client, runner, tmp_path, rival, token, epc, scenario.items[0], disposition
    )
    expected = f"{rival_key} may not act for producer {scenario.producer}"
    for door, code, message in refusals:
        assert code == "FORBIDDEN", (door, code, message)
        assert expected in message, (door, message)
    assert _size(database, ledger) == before
    assert _status(database, scenario.items[0]) == "active"


def test_producers_still_record_on_their_own_items_and_on_goods_not_ours(
    gql: Gql, database: Database, ledger: Ledger, scenario: Scenario, tokens: dict[str, Any]
) -> None:
    epc = _epc(database, scenario)
    foreign = "https://id.gs1.org/01/04012345000009/21/OTHER-COMPANY-1"
    payload = _mutation(
        gql,
        "captureEpcisEvents",
        "CaptureEpcisEventsInput",
        {"events": [_event(epc, "retail_sold", 5), _event(foreign, "destroyed", 6)]},
        tokens["producer"],
    )
    assert payload["userErrors"] == [] and payload["entryCount"] == 2
    assert _status(database, scenario.items[0]) == "sold"


def test_the_admin_may_record_on_any_producers_item(
    gql: Gql, database: Database, scenario: Scenario, tokens: dict[str, Any]
) -> None:
    payload = _mutation(
        gql,
        "captureEpcisEvents",
        "CaptureEpcisEventsInput",
        {"events": [_event(_epc(database, scenario), "destroyed", 7)]},
        tokens["admin"],
    )
    assert payload["userErrors"] == [] and payload["entryCount"] == 1
    assert _status(database, scenario.items[0]) == "destroyed"
