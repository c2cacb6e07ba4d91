"""The documented flows of graphql/operations/, run as their users run them."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from support.scenario import Scenario

from ledger.checkpoint import open_checkpoint
from ledger.proof_verification import verify_consistency, verify_inclusion
from traceapp.db.sessions import Database
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.writer import Ledger

from .conftest import Gql, global_id, operation

Tokens = dict[str, str | None]


def _ok(result: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in result, result
    data: dict[str, Any] = result["data"]
    return data


def test_producer_registers_a_batch_issues_items_and_records_its_journey(
    gql: Gql, scenario: Scenario, tokens: Tokens, database: Database
) -> None:
    ops, token = operation("producer_batch"), tokens["producer"]
    created = _ok(
        gql(
            ops,
            {
                "input": {
                    "product": global_id("Product", scenario.product),
                    "lot": "L2026-12B",
                    "productionDate": "2026-12-01",
                    "expiryDate": "2028-12-01",
                    "quantity": "80.250",
                    "unit": "kg",
                    "originLocation": global_id("Location", scenario.farm),
                    "idempotencyKey": "batch-L2026-12B",
                }
            },
            token,
            "CreateBatch",
        )
    )["createBatch"]
    assert created["userErrors"] == []
    batch = created["batch"]
    assert batch["lot"] == "L2026-12B" and batch["product"]["nameVi"] == "Trà Shan tuyết Cổ thụ"
    assert batch["originLocation"]["name"] == "Đồi chè Na Pá"
    assert batch["digitalLink"].endswith("/01/08938505974019/10/L2026-12B?17=281201")

    issued = _ok(
        gql(
            ops,
            {"input": {"batch": batch["id"], "count": 3, "withPins": True}},
            token,
            "IssueItems",
        )
    )["issueItems"]
    assert issued["userErrors"] == [] and len(issued["items"]) == 3
    assert {p["serial"] for p in issued["pins"]} == {i["serial"] for i in issued["items"]}
    assert all(i["hasPin"] and i["status"] == "ACTIVE" for i in issued["items"])
    items = [i["id"] for i in issued["items"]]

    steps: list[dict[str, Any]] = [
        {
            "bizStep": "harvesting",
            "quantities": [{"batch": batch["id"], "quantity": 80.25, "uom": "KGM"}],
        },
        {"bizStep": "packing", "items": items},
        {
            "bizStep": "shipping",
            "items": items,
            "destinations": [
                {"type": "location", "location": global_id("Location", scenario.shop)}
            ],
        },
    ]
    for day, step in enumerate(steps, start=2):
        event = {
            "type": "OBJECT_EVENT",
            "eventTime": f"2026-12-{day:02d}T08:00:00+07:00",
            "readPoint": global_id("Location", scenario.farm),
            **step,
        }
        recorded = _ok(gql(ops, {"input": {"event": event}}, token, "RecordEvent"))["recordEvent"]
        assert recorded["userErrors"] == []
        assert recorded["event"]["bizStep"] == step["bizStep"]
        assert recorded["event"]["eventTimeZoneOffset"] == "+07:00"
        assert recorded["event"]["producer"]["name"] == "Hợp tác xã Chè Shan Tuyết Bản Mế"

    page = _ok(gql(operation("app_events"), {"batch": batch["id"]}, token, "EventsPage"))["events"]
    assert [e["node"]["bizStep"] for e in page["edges"]] == ["harvesting", "packing", "shipping"]
    assert page["totalCount"] == 3


def test_consumer_reads_the_public_product_page(gql: Gql, scenario: Scenario) -> None:
    data = _ok(gql(operation("consumer"), {"gtin": "8938505974019"}, None, "ProductPage"))
    product = data["products"]["edges"][0]["node"]
    assert product["nameVi"] == "Trà Shan tuyết Cổ thụ"
    assert product["producer"]["province"] == "Lào Cai"
    assert product["certifications"][0]["stars"] == 4


def test_auditor_checks_checkpoint_entries_and_proofs(
    gql: Gql, scenario: Scenario, tokens: Tokens, ledger: Ledger, database: Database
) -> None:
    ops, token = operation("auditor"), tokens["auditor"]
    head = _ok(gql(ops, {}, token, "LedgerHead"))
    checkpoint = open_checkpoint(head["latestCheckpoint"]["note"], ledger.log.verifier)
    size = checkpoint.size
    assert head["ledgerInfo"]["size"] == size and head["ledgerInfo"]["vkey"] == ledger.log.vkey

    leaves: list[bytes] = []
    after = None
    while True:
        page = _ok(gql(ops, {"first": 4, "after": after}, token, "LedgerEntries"))["ledgerEntries"]
        for edge in page["edges"]:
            leaves.append(base64.b64decode(edge["node"]["leafHash"]))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(leaves) == size == page["totalCount"]

    for index in (0, size // 2, size - 1):
        proof = _ok(gql(ops, {"index": index, "size": size}, token, "InclusionProof"))
        verify_inclusion(
            leaves[index],
            index,
            size,
            [base64.b64decode(h) for h in proof["inclusionProof"]["proof"]],
            checkpoint.root_hash,
        )
    old = 3
    with database.read_sessions() as s:
        from traceapp.ledger_store.models import LedgerCheckpoint

        old_root = s.get(LedgerCheckpoint, (ledger.origin, old))
        assert old_root is not None
        count = s.execute(select(func.count()).select_from(LedgerEntry)).scalar()
    assert count == size
    consistency = _ok(gql(ops, {"old": old, "new": size}, token, "ConsistencyProof"))
    verify_consistency(
        old,
        size,
        old_root.root_hash,
        checkpoint.root_hash,
        [base64.b64decode(h) for h in consistency["consistencyProof"]["proof"]],
    )


def test_app_pages_events_with_cursors_and_filters(
    gql: Gql, scenario: Scenario, tokens: Tokens
) -> None:
    ops, token = operation("app_events"), tokens["auditor"]
    seen: list[str] = []
    after = None
    while True:
        page = _ok(gql(ops, {"first": 1, "after": after}, token, "EventsPage"))["events"]
        seen += [e["node"]["bizStep"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["harvesting", "packing", "shipping"]
    shipping = _ok(gql(ops, {"bizStep": "shipping"}, token, "EventsPage"))["events"]
    assert [e["node"]["bizStep"] for e in shipping["edges"]] == ["shipping"]
    # CBV 2.0 URI and EPCIS 1.x URN name the same step (issue 20).
    for spelling in (
        "https://ref.gs1.org/cbv/BizStep-shipping",
        "urn:epcglobal:cbv:bizstep:shipping",
    ):
        same = _ok(gql(ops, {"bizStep": spelling}, token, "EventsPage"))["events"]
        assert same["edges"] == shipping["edges"], spelling
    window = _ok(
        gql(
            ops,
            {"from": "2026-11-03T00:00:00+07:00", "to": "2026-11-04T00:00:00+07:00"},
            token,
            "EventsPage",
        )
    )["events"]
    assert [e["node"]["bizStep"] for e in window["edges"]] == ["packing"]
    assert datetime.fromisoformat(window["edges"][0]["node"]["eventTime"]).utcoffset() is not None


def test_consumer_verifies_a_scanned_item(gql: Gql, scenario: Scenario, database: Database) -> None:
    from traceapp.batches.models import Item

    with database.read_sessions() as s:
        serial = s.execute(
            select(Item.serial).where(Item.public_id == scenario.items[0])
        ).scalar_one()
    code = f"https://truyxuat.ocop.example.vn/01/08938505974019/10/L2026-11A/21/{serial}"
    result = _ok(gql(operation("consumer"), {"code": code}, None, "VerifyItem"))["verifyItem"]
    assert result["found"] is True and result["userErrors"] == []
    view = result["verification"]
    assert view["product"]["nameVi"] == "Trà Shan tuyết Cổ thụ"
    assert view["ocop"]["stars"] == 4 and view["item"]["serial"] == serial
    assert [s["bizStep"] for s in view["journey"]] == ["harvesting", "packing", "shipping"]
    assert view["proofs"]["allVerified"] is True and view["proofs"]["entries"]
    # The same enums as the catalogue's types (Product.group, Producer.kind ...), not raw values.
    assert view["product"]["group"] == "DRINKS" and view["producer"]["kind"] == "COOPERATIVE"
    assert view["ocop"]["status"] == "VALID" and view["item"]["status"] == "ACTIVE"
    assert {c["scheme"] for c in view["certificates"]} <= {"OCOP", "VIETGAP", "ORGANIC"}

    unknown = _ok(gql(operation("consumer"), {"code": code[:-3] + "ZZZ"}, None, "VerifyItem"))
    assert unknown["verifyItem"]["found"] is False
    assert unknown["verifyItem"]["userErrors"][0]["code"] == "NOT_FOUND"
    foreign = _ok(
        gql(
            operation("consumer"),
            {"code": "https://evil.example/01/08938505974019"},
            None,
            "VerifyItem",
        )
    )
    assert foreign["verifyItem"]["found"] is False
    assert foreign["verifyItem"]["userErrors"][0]["code"].startswith("INVALID_")
