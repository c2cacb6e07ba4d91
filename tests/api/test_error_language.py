"""userErrors in the client's language (Accept-Language), codes the same in every language;
the plausibility rules reach GraphQL as userErrors (docs/rules.md)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from support.scenario import Scenario

from traceapp.error_texts import ERROR_TEXTS
from traceapp.i18n import LANGUAGES, negotiate

from .conftest import global_id

RECORD = """mutation($input: RecordEventInput!) {
  recordEvent(input: $input) { entryCount userErrors { field message code } } }"""
ISSUE = """mutation($input: IssueItemsInput!) {
  issueItems(input: $input) { entryCount items { id } userErrors { field message code } } }"""
BULK = """mutation($input: RecordEventsInput!) {
  recordEvents(input: $input) { entryCount userErrors { field message code } } }"""


def _post(
    client: FlaskClient, query: str, variables: dict[str, Any], token: str, lang: str | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    if lang is not None:
        headers["Accept-Language"] = lang
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    assert "errors" not in body, body
    return body["data"]


def _event(scenario: Scenario, **fields: Any) -> dict[str, Any]:
    return {
        "type": "OBJECT_EVENT",
        "eventTime": "2026-11-20T08:00:00+07:00",
        "items": [global_id("Item", scenario.items[0])],
        **fields,
    }


HARVEST = {
    "en": "'harvest' is not a CBV 2.0 business step: did you mean harvesting?",
    "vi": "'harvest' không phải là bước nghiệp vụ CBV 2.0: có phải ý bạn là harvesting?",
}


@pytest.mark.parametrize(
    ("accept", "lang"), [("en", "en"), ("vi", "vi"), ("en-GB,vi;q=0.5", "en"), (None, "vi")]
)
def test_the_same_refusal_in_each_language_with_one_code(
    client: FlaskClient,
    scenario: Scenario,
    tokens: dict[str, str | None],
    accept: str | None,
    lang: str,
) -> None:
    token = tokens["producer"]
    assert token is not None
    data = _post(
        client, RECORD, {"input": {"event": _event(scenario, bizStep="harvest")}}, token, accept
    )
    assert data["recordEvent"] == {
        "entryCount": 0,
        "userErrors": [{"field": "bizStep", "message": HARVEST[lang], "code": "UNKNOWN_BIZ_STEP"}],
    }


def test_item_rules_reach_graphql_translated(
    client: FlaskClient, scenario: Scenario, tokens: dict[str, str | None]
) -> None:
    token = tokens["producer"]
    assert token is not None
    sold = _event(scenario, bizStep="retail_selling", disposition="retail_sold")
    assert (
        _post(client, RECORD, {"input": {"event": sold}}, token, "vi")["recordEvent"]["userErrors"]
        == []
    )
    packing = _event(scenario, bizStep="packing", eventTime="2026-11-21T08:00:00+07:00")
    messages = {}
    for lang in LANGUAGES:
        errors = _post(client, RECORD, {"input": {"event": packing}}, token, lang)["recordEvent"][
            "userErrors"
        ]
        assert [(e["code"], e["field"]) for e in errors] == [("ITEM_SOLD", "events.0.epcList")]
        messages[lang] = errors[0]["message"]
    assert messages == {
        "vi": f"Sản phẩm {scenario.items[0]} đã được bán lẻ: sau đó chỉ được ghi việc trả lại "
        "(disposition returned)",
        "en": f"item {scenario.items[0]} was sold at retail: only a return (disposition "
        "returned) may follow",
    }
    # A bulk: the first refusal, and how many more, in the caller's language.
    events = [packing, {**packing, "bizStep": "shipping"}]
    errors = _post(client, BULK, {"input": {"events": events}}, token, "vi")["recordEvents"][
        "userErrors"
    ]
    assert errors[0]["code"] == "ITEM_SOLD" and errors[0]["message"].endswith("(và 1 lỗi khác)")


def test_over_quantity_needs_a_reason_and_numbers_follow_the_language(
    client: FlaskClient, scenario: Scenario, tokens: dict[str, str | None]
) -> None:
    token = tokens["producer"]
    assert token is not None
    batch = global_id("Batch", scenario.batch)  # 120.5 kg, 5 items issued
    data = _post(client, ISSUE, {"input": {"batch": batch, "count": 1116}}, token, "vi")
    assert data["issueItems"]["userErrors"] == [
        {
            "field": "count",
            "code": "OVER_BATCH_QUANTITY",
            "message": "Đã phát hành 5 mã, thêm 1.116 mã sẽ vượt số lượng của lô (120,5): hãy "
            "nêu lý do (overQuantityReason) để vẫn phát hành",
        }
    ]
    data = _post(
        client,
        ISSUE,
        {"input": {"batch": batch, "count": 116, "overQuantityReason": "đóng gói 1 kg/gói"}},
        token,
        "en",
    )
    assert data["issueItems"]["userErrors"] == []
    assert len(data["issueItems"]["items"]) == 116


def test_every_error_text_is_in_both_languages_and_nfc() -> None:
    import unicodedata

    for key, pair in ERROR_TEXTS.entries.items():
        assert len(pair) == 2, key
        for text in pair:
            assert isinstance(text, str) and unicodedata.is_normalized("NFC", text)
    assert negotiate("fr") == "vi"
