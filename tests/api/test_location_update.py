"""``updateLocation``: a ``location.updated`` statement naming only what changes; the refusals
(nothing to change, half a position, a position given and removed, an unknown place); replayed
by ``ledger rebuild`` and checked by ``ledger verify --deep``; signable by a client-held key."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from support.scenario import Scenario

from ledger.signing import Signer
from traceapp.db.sessions import Database
from traceapp.keys.services import register_key
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.rebuild import first_difference, snapshot
from traceapp.ledger_store.writer import Ledger

from .conftest import Gql, global_id

MUTATION = """mutation($input: UpdateLocationInput!) { updateLocation(input: $input) {
  location { name kind code gln province commune street latitude longitude ledgerIndex
             updatedLedgerIndex }
  ledgerIndex userErrors { field code message } } }"""


def _last_entry(database: Database) -> dict[str, Any]:
    with database.read_sessions() as s:
        entry = s.execute(
            select(LedgerEntry.entry).order_by(LedgerEntry.seq.desc()).limit(1)
        ).scalar_one()
    decoded: dict[str, Any] = json.loads(entry)
    return decoded


def test_update_location_states_only_what_changes(
    gql: Gql,
    scenario: Scenario,
    tokens: dict[str, str | None],
    database: Database,
    runner: FlaskCliRunner,
) -> None:
    farm = global_id("Location", scenario.farm)
    token = tokens["producer"]
    first = {
        "location": farm,
        "name": "Đồi chè Shan tuyết Na Pá",
        "kind": "FARM",  # as it is: not stated again
        "province": "Lào Cai",
        "latitude": "22.3000004",
        "longitude": "104.1",
    }
    done = gql(MUTATION, {"input": first}, token)["data"]["updateLocation"]
    assert done["userErrors"] == []
    place = done["location"]
    assert (place["name"], place["kind"], place["province"], place["code"]) == (
        "Đồi chè Shan tuyết Na Pá",
        "FARM",
        "Lào Cai",
        "FARM-1",
    )
    assert (place["latitude"], place["longitude"]) == ("22.300000", "104.100000")
    assert place["updatedLedgerIndex"] == done["ledgerIndex"] > place["ledgerIndex"]
    entry = _last_entry(database)
    assert entry["type"] == "location.updated"
    assert entry["statement"] == {
        "id": scenario.farm,
        "changes": {
            "name": "Đồi chè Shan tuyết Na Pá",
            "address": {"province": "Lào Cai", "commune": None, "street": None},
            "geo": {"lat": "22.300000", "lon": "104.100000"},
        },
    }
    # An address part given as "" is cleared; the position is removed.
    second = {"location": farm, "province": "", "clearPosition": True, "kind": "OTHER"}
    again = gql(MUTATION, {"input": second}, token)["data"]["updateLocation"]
    assert again["userErrors"] == []
    assert (again["location"]["province"], again["location"]["latitude"]) == (None, None)
    assert _last_entry(database)["statement"]["changes"] == {
        "kind": "other",
        "address": {"province": None, "commune": None, "street": None},
        "geo": None,
    }
    # The projections are what a replay of the log makes of it.
    checked = runner.invoke(args=["ledger", "verify", "--deep"])
    assert checked.exit_code == 0, checked.output
    with database.read_sessions() as s:
        before = snapshot(s)
    rebuilt = runner.invoke(args=["ledger", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    with database.read_sessions() as s:
        assert first_difference(before, snapshot(s)) is None


def test_update_location_refusals_change_nothing(
    gql: Gql, scenario: Scenario, tokens: dict[str, str | None], database: Database
) -> None:
    farm = global_id("Location", scenario.farm)
    size = _last_entry(database)["seq"]
    cases = [
        ({"location": farm, "name": "Đồi chè Na Pá"}, "INVALID", "changes"),
        ({"location": farm}, "INVALID", "changes"),
        ({"location": farm, "name": "  "}, "INVALID", "name"),
        ({"location": farm, "latitude": "22.1"}, "INVALID", "longitude"),
        ({"location": farm, "latitude": "91", "longitude": "1"}, "INVALID", "latitude"),
        (
            {"location": farm, "latitude": "22", "longitude": "104", "clearPosition": True},
            "INVALID",
            "latitude",
        ),
        ({"location": global_id("Location", "loc_nothing")}, "NOT_FOUND", "location"),
        ({"location": global_id("Product", scenario.product)}, "NOT_FOUND", "location"),
    ]
    for value, code, field in cases:
        refused = gql(MUTATION, {"input": value}, tokens["producer"])["data"]["updateLocation"]
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [(code, field)], value
        assert refused["location"] is None
    assert _last_entry(database)["seq"] == size


PREPARE = """query($input: UpdateLocationInput!) { prepareUpdateLocation(input: $input) {
  actor type statement message userErrors { field code } } }"""


def test_a_client_held_key_signs_the_update(
    gql: Gql,
    scenario: Scenario,
    tokens: dict[str, str | None],
    database: Database,
    ledger: Ledger,
    admin: str,
) -> None:
    signer = Signer.generate("htx-ban-me-phone")
    with database.write() as s:
        register_key(s, ledger, admin, signer.vkey, "producer", scenario.producer)
    value = {
        "location": global_id("Location", scenario.shop),
        "name": "Cửa hàng OCOP Lào Cai",
        "idempotencyKey": "rename-shop-1",
        "actor": signer.key_name,
    }
    prepared = gql(PREPARE, {"input": value}, tokens["producer"])["data"]["prepareUpdateLocation"]
    assert prepared["userErrors"] == [] and prepared["type"] == "location.updated"
    assert prepared["statement"] == {
        "id": scenario.shop,
        "changes": {"name": "Cửa hàng OCOP Lào Cai"},
    }
    signature = signer.sign(base64.b64decode(prepared["message"]))
    signed = {**value, "signature": base64.b64encode(signature).decode()}
    done = gql(MUTATION, {"input": signed}, tokens["producer"])["data"]["updateLocation"]
    assert done["userErrors"] == [] and done["location"]["name"] == "Cửa hàng OCOP Lào Cai"
    assert _last_entry(database)["actor"] == signer.key_name
