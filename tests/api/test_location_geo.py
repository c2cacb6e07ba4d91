"""``registerLocation`` with a GPS position: the statement's optional ``geo``, the Location's
latitude and longitude, and the refusals (half a position, out of range)."""

from __future__ import annotations

import json

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.db.sessions import Database
from traceapp.ledger_store.models import LedgerEntry

from .conftest import Gql, global_id

MUTATION = """mutation($input: RegisterLocationInput!) { registerLocation(input: $input) {
  location { latitude longitude name } userErrors { code field } } }"""


def test_register_location_with_a_position(
    gql: Gql,
    scenario: Scenario,
    tokens: dict[str, str | None],
    database: Database,
    runner: FlaskCliRunner,
) -> None:
    base = {"producer": global_id("Producer", scenario.producer), "kind": "FARM", "name": "Đồi"}
    half = gql(MUTATION, {"input": {**base, "code": "D-1", "latitude": "22.3"}}, tokens["producer"])
    assert half["data"]["registerLocation"]["userErrors"] == [
        {"code": "INVALID", "field": "longitude"}
    ]
    far = {**base, "code": "D-1", "latitude": "22.3", "longitude": "190"}
    refused = gql(MUTATION, {"input": far}, tokens["producer"])
    assert refused["data"]["registerLocation"]["userErrors"] == [
        {"code": "INVALID", "field": "longitude"}
    ]
    good = {**base, "code": "D-1", "latitude": "22.30000049", "longitude": "-104.5"}
    done = gql(MUTATION, {"input": good}, tokens["producer"])["data"]["registerLocation"]
    assert done["userErrors"] == []
    assert done["location"]["latitude"] == "22.300000"
    assert done["location"]["longitude"] == "-104.500000"
    with database.read_sessions() as s:
        entry = s.execute(
            select(LedgerEntry.entry).order_by(LedgerEntry.seq.desc()).limit(1)
        ).scalar_one()
    assert json.loads(entry)["statement"]["geo"] == {"lat": "22.300000", "lon": "-104.500000"}
    # Replaying the log into fresh projections gives the same rows, position included.
    checked = runner.invoke(args=["ledger", "verify", "--deep"])
    assert checked.exit_code == 0, checked.output
