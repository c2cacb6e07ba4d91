"""Plausibility notices (docs/rules.md, "Allowed with a notice") on the payloads of the GraphQL
mutations that record events: ``notices { field message code }`` beside ``userErrors``, in the
client's language (Accept-Language), the event recorded all the same; none on a replay."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.batches.models import Item
from traceapp.db.sessions import Database
from traceapp.events.epc import item_epc

from .conftest import global_id

NOTICES = "notices { field message code } userErrors { field message code }"
RECORD = f"""mutation($input: RecordEventInput!) {{
  recordEvent(input: $input) {{ entryCount replayed event {{ bizStep }} {NOTICES} }} }}"""
BULK = f"""mutation($input: RecordEventsInput!) {{
  recordEvents(input: $input) {{ entryCount events {{ bizStep }} {NOTICES} }} }}"""
CAPTURE = f"""mutation($input: CaptureEpcisEventsInput!) {{
  captureEpcisEvents(input: $input) {{ entryCount {NOTICES} }} }}"""
# The scenario's items were shipped on 2026-11-04: a step dated before is a late capture.
EARLY = "2026-11-03T10:00:00+07:00"
LATE = "2026-11-20T08:00:00+07:00"
BEFORE_LAST = {
    "vi": "Thời điểm sự kiện sớm hơn bước đã ghi gần nhất của sản phẩm {item}",
    "en": "eventTime is before the last recorded step of item {item}",
}


def _post(
    client: FlaskClient, query: str, value: dict[str, Any], token: str | None, lang: str
) -> dict[str, Any]:
    response = client.post(
        "/graphql",
        json={"query": query, "variables": {"input": value}},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": lang},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    assert "errors" not in body, body
    return body["data"]


def _event(scenario: Scenario, when: str, item: int = 0) -> dict[str, Any]:
    return {
        "type": "OBJECT_EVENT",
        "eventTime": when,
        "bizStep": "inspecting",
        "items": [global_id("Item", scenario.items[item])],
    }


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_record_event_carries_its_notice_in_the_callers_language(
    client: FlaskClient, scenario: Scenario, tokens: dict[str, str | None], lang: str
) -> None:
    value = {"event": _event(scenario, EARLY), "idempotencyKey": f"late-{lang}"}
    done = _post(client, RECORD, value, tokens["producer"], lang)["recordEvent"]
    assert done["userErrors"] == [] and done["entryCount"] == 1
    assert done["event"] == {"bizStep": "inspecting"}
    item = scenario.items[0]
    assert done["notices"] == [
        {
            "field": "events.0.epcList",
            "message": BEFORE_LAST[lang].format(item=item),
            "code": "EVENT_BEFORE_LAST_STEP",
        }
    ]
    # A replay plans nothing: it appends nothing and has nothing to remark.
    again = _post(client, RECORD, value, tokens["producer"], lang)["recordEvent"]
    assert (again["replayed"], again["notices"], again["userErrors"]) == (True, [], [])
    # A step in order has no notice.
    plain = _post(client, RECORD, {"event": _event(scenario, LATE)}, tokens["producer"], lang)
    assert plain["recordEvent"]["notices"] == [] and plain["recordEvent"]["entryCount"] == 1


def test_bulk_and_capture_carry_each_events_notice(
    client: FlaskClient, scenario: Scenario, tokens: dict[str, str | None], database: Database
) -> None:
    token = tokens["producer"]
    events = [_event(scenario, LATE, 1), _event(scenario, EARLY, 2)]
    bulk = _post(client, BULK, {"events": events}, token, "vi")["recordEvents"]
    assert bulk["userErrors"] == [] and bulk["entryCount"] == 2
    assert [(n["field"], n["code"]) for n in bulk["notices"]] == [
        ("events.1.epcList", "EVENT_BEFORE_LAST_STEP")
    ]
    assert bulk["notices"][0]["message"] == BEFORE_LAST["vi"].format(item=scenario.items[2])
    epcis = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2026-11-03T11:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "epcList": [_epc(database, scenario)],
        "bizStep": "https://ref.gs1.org/cbv/BizStep-inspecting",
    }
    captured = _post(client, CAPTURE, {"events": [epcis]}, token, "en")["captureEpcisEvents"]
    assert captured["userErrors"] == [] and captured["entryCount"] == 1
    assert captured["notices"] == [
        {
            "field": "events.0.epcList",
            "message": BEFORE_LAST["en"].format(item=scenario.items[3]),
            "code": "EVENT_BEFORE_LAST_STEP",
        }
    ]


def _epc(database: Database, scenario: Scenario) -> str:
    """The EPC (SGTIN URN) of the scenario's fourth item."""
    with database.read_sessions() as s:
        serial = s.execute(
            select(Item.serial).where(Item.public_id == scenario.items[3])
        ).scalar_one()
    return item_epc("08938505974019", serial)
