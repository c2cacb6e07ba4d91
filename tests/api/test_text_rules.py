"""Issue 14 item 14: invisible format characters (bidi overrides, zero-width ...) in text
shown to people are refused the same way on every door, and Vietnamese text is kept."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from support.scenario import Scenario

from .conftest import Gql, global_id

REGISTER_PRODUCT = """mutation($input: RegisterProductInput!) { registerProduct(input: $input) {
  product { nameVi } userErrors { field message code } } }"""
CAPTURE = """mutation($input: CaptureEpcisEventsInput!) { captureEpcisEvents(input: $input) {
  entryCount userErrors { field message code } } }"""
SPOOFED = "Trà Shan tuyết \u202egnos\u202c"  # U+202E reverses what follows when shown


def _product(gql: Gql, scenario: Scenario, token: str | None, gtin: str, name: str) -> Any:
    data = {
        "producer": global_id("Producer", scenario.producer),
        "gtin": gtin,
        "nameVi": name,
        "group": "DRINKS",
    }
    result = gql(REGISTER_PRODUCT, {"input": data}, token)
    assert "errors" not in result, result
    return result["data"]["registerProduct"]


def _event(biz_step: str) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2026-12-02T10:00:00.000Z",
        "eventTimeZoneOffset": "+07:00",
        "epcList": ["https://id.gs1.org/01/04012345000009/21/X1"],
        "bizStep": biz_step,
    }


def test_names_with_format_characters_are_refused_and_vietnamese_is_kept(
    gql: Gql, scenario: Scenario, tokens: dict[str, str | None]
) -> None:
    refused = _product(gql, scenario, tokens["producer"], "8938505974026", SPOOFED)
    assert refused["product"] is None
    assert refused["userErrors"] == [
        {
            "field": "nameVi",
            "code": "INVALID",
            "message": "must not contain invisible format characters (U+202E)",
        }
    ]
    kept = _product(gql, scenario, tokens["producer"], "8938505974026", "Chè Tuyết Sơn Cổ Thụ")
    assert kept["userErrors"] == [] and kept["product"]["nameVi"] == "Chè Tuyết Sơn Cổ Thụ"


def test_captured_events_with_format_characters_are_refused_on_both_capture_doors(
    gql: Gql, client: FlaskClient, tokens: dict[str, str | None]
) -> None:
    spoofed = "https://ref.gs1.org/cbv/BizStep-ship\u200bping"
    payload = gql(CAPTURE, {"input": {"events": [_event(spoofed)]}}, tokens["producer"])
    errors = payload["data"]["captureEpcisEvents"]["userErrors"]
    assert errors == [
        {
            "field": "events.0.bizStep",
            "code": "INVALID",
            "message": "must not contain invisible format characters (U+200B)",
        }
    ]
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-12-02T11:00:00.000Z",
        "epcisBody": {"eventList": [_event(spoofed)]},
    }
    response = client.post(
        "/epcis/capture",
        data=json.dumps(document),
        headers={
            "Content-Type": "application/ld+json",
            "Authorization": f"Bearer {tokens['producer']}",
        },
    )
    # The GS1 schema refuses it there already (a bizStep is a CBV value or a URI).
    assert response.status_code == 400, response.json
    assert {i["pointer"] for i in response.json["issues"]} == {"/epcisBody/eventList/0/bizStep"}


def test_a_captured_retraction_reason_with_format_characters_is_refused(
    gql: Gql, tokens: dict[str, str | None]
) -> None:
    declared = {
        **_event("https://ref.gs1.org/cbv/BizStep-shipping"),
        "errorDeclaration": {
            "declarationTime": "2026-12-02T12:00:00.000Z",
            "reason": "incorrect\u2066_data",
        },
    }
    payload = gql(CAPTURE, {"input": {"events": [declared]}}, tokens["producer"])
    errors = payload["data"]["captureEpcisEvents"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("events.0.errorDeclaration.reason", "INVALID")
    ]
