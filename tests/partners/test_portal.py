"""The national portal profile v1: JSON Lines valid against its schema, every record backed by
its ledger entry, scoped by token, paged, incremental, and the same from the CLI (issue 20)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema_rs
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from support.scenario import Scenario

from traceapp.auth.services import create_token
from traceapp.batches.models import Batch, Item
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput
from traceapp.events.models import Event
from traceapp.events.services import record_event
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.writer import Ledger
from traceapp.partners.portal import portal_schema
from traceapp.producers.services import ProducerInput, register_producer
from traceapp.products.models import Product

VN = timezone(timedelta(hours=7))
# The statement type behind each record kind's ledgerIndex (docs/ledger-format.md).
ENTRY_TYPES = {
    "product": {"product.registered"},
    "batch": {"batch.created"},
    "item": {"items.issued"},
    "event": {"event.recorded", "events.recorded"},
}


def _token(database: Database, role: str, producer: str | None = None) -> str:
    with database.write() as session:
        return create_token(session, role, producer)[1]


def _export(client: FlaskClient, token: str, **args: Any) -> tuple[list[dict[str, Any]], Any]:
    response = client.get(
        "/portal/v1/records",
        query_string=args,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data().decode("utf-8").splitlines()
    return [json.loads(line) for line in lines], response


def _validate(records: list[dict[str, Any]]) -> None:
    validator = jsonschema_rs.Draft7Validator(portal_schema())
    for record in records:
        errors = [e.message for e in validator.iter_errors(record)]
        assert not errors, (record, errors[:3])


def test_export_is_valid_complete_and_every_record_names_its_entry(
    client: FlaskClient, database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    records, _ = _export(client, _token(database, "auditor"))
    _validate(records)
    header, *rest = records
    assert header["record"] == "header" and header["version"] == "1.0"
    kinds = [r["record"] for r in rest]
    assert kinds == sorted(kinds, key=["product", "batch", "item", "event"].index)
    with database.read_sessions() as session:
        counts = {
            "product": session.scalar(select(func.count()).select_from(Product)),
            "batch": session.scalar(select(func.count()).select_from(Batch)),
            "item": session.scalar(select(func.count()).select_from(Item)),
            "event": session.scalar(select(func.count()).select_from(Event)),
        }
        assert {k: kinds.count(k) for k in counts} == counts
        for record in rest:
            entry = session.get(LedgerEntry, (ledger.origin, record["ledgerIndex"]))
            assert entry is not None and entry.type in ENTRY_TYPES[record["record"]], record
            assert record["ledgerIndex"] < header["checkpoint"]["size"]
    [product] = [r for r in rest if r["record"] == "product"]
    assert product["name"]["vi"] == "Trà Shan tuyết Cổ thụ"  # NFC, diacritics kept
    assert product["producer"]["address"]["province"] == "Lào Cai"
    assert product["certificates"][0]["stars"] == 4
    assert product["certificates"][0]["status"] == "valid"
    [batch] = [r for r in rest if r["record"] == "batch"]
    assert batch["lot"] == "L2026-11A" and batch["quantity"] == "120.500"
    assert batch["origin"]["name"] == "Đồi chè Na Pá"
    steps = [r["why"]["bizStep"] for r in rest if r["record"] == "event"]
    # CBV names as CBV 2.0 URIs; our own harvesting step has no CBV URI and stays a name.
    assert steps == [
        "harvesting",
        "https://ref.gs1.org/cbv/BizStep-packing",
        "https://ref.gs1.org/cbv/BizStep-shipping",
    ]
    shipped = [r for r in rest if r["record"] == "event"][-1]
    assert len(shipped["what"]) == len(scenario.items) and shipped["who"]["producer"]


def test_pages_follow_link_next_without_loss_or_repeat(
    client: FlaskClient, database: Database, scenario: Scenario
) -> None:
    token = _token(database, "admin")
    whole, _ = _export(client, token)
    paged: list[dict[str, Any]] = []
    args: dict[str, Any] = {"limit": 2}
    pages = 0
    while True:
        records, response = _export(client, token, **args)
        pages += 1
        assert records[0]["record"] == "header" and len(records) <= 3
        paged += records[1:]
        link = response.headers.get("Link")
        if link is None:
            break
        assert link.endswith('>; rel="next"')
        args = dict(parse_qsl(urlsplit(link[1 : link.index(">")]).query))
    assert paged == whole[1:] and pages == (len(whole) - 1 + 1) // 2
    bad = client.get(
        "/portal/v1/records?cursor=nonsense", headers={"Authorization": f"Bearer {token}"}
    )
    assert bad.status_code == 400 and bad.json["error"]["field"] == "cursor"  # type: ignore[index]


def test_tokens_scope_the_export(
    client: FlaskClient, database: Database, ledger: Ledger, scenario: Scenario, admin: str
) -> None:
    assert client.get("/portal/v1/records").status_code == 401
    with database.write() as session:
        other = register_producer(
            session,
            ledger,
            admin,
            ProducerInput(
                kind="household_business",
                name="Hộ kinh doanh Mật ong Bạc Hà",
                province="Lào Cai",
                address_recorded_on=datetime(2025, 8, 1).date(),
            ),
        ).public_ids[0]
    mine, _ = _export(client, _token(database, "producer", scenario.producer))
    assert mine[0]["producer"] == scenario.producer and len(mine) > 1
    theirs, _ = _export(client, _token(database, "producer", other))
    assert theirs[1:] == []  # the other producer has no product yet
    refused = client.get(
        f"/portal/v1/records?producer={scenario.producer}",
        headers={"Authorization": f"Bearer {_token(database, 'producer', other)}"},
    )
    assert refused.status_code == 403


def test_after_a_ledger_index_only_what_changed_is_exported(
    client: FlaskClient, database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    token = _token(database, "auditor")
    first, _ = _export(client, token)
    size = first[0]["checkpoint"]["size"]
    with database.write() as session:
        record_event(
            session,
            ledger,
            scenario.producer_key,
            EventInput(
                type="ObjectEvent",
                event_time=datetime(2026, 11, 6, 9, 0, tzinfo=VN),
                action="OBSERVE",
                biz_step="retail_selling",
                disposition="retail_sold",
                read_point=scenario.shop,
                items=scenario.items[:1],
            ),
        )
    changed, _ = _export(client, token, afterLedgerIndex=size - 1)
    _validate(changed)
    assert changed[0]["afterLedgerIndex"] == size - 1
    kinds = [(r["record"], r.get("status")) for r in changed[1:]]
    assert kinds == [("item", "sold"), ("event", None)]
    assert changed[-1]["why"]["disposition"] == "https://ref.gs1.org/cbv/Disp-retail_sold"


def test_cli_writes_the_same_records(
    client: FlaskClient,
    runner: FlaskCliRunner,
    database: Database,
    scenario: Scenario,
    tmp_path: Path,
) -> None:
    out = tmp_path / "portal.jsonl"
    result = runner.invoke(args=["export", "portal", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "products: 1, batches: 1, items: 5, events: 3;" in result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    _validate(lines)
    served, _ = _export(client, _token(database, "admin"))
    assert lines[1:] == served[1:]
    assert lines[0]["checkpoint"] == served[0]["checkpoint"]
    assert not (tmp_path / "portal.jsonl.part").exists()
    mine = tmp_path / "mine.jsonl"
    result = runner.invoke(
        args=["export", "portal", "-o", str(mine), "--producer", scenario.producer]
    )
    assert result.exit_code == 0 and mine.read_text(encoding="utf-8").count("\n") == len(lines)
    bad = runner.invoke(args=["export", "portal", "-o", str(mine), "--producer", "nobody"])
    assert bad.exit_code == 2


PORTAL_QUERY = """query($first: Int, $after: String) {
  portalRecords(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { kind ledgerIndex record } }
  }
}"""


def test_graphql_pages_give_the_same_records(
    client: FlaskClient, database: Database, scenario: Scenario
) -> None:
    token = _token(database, "auditor")
    served, _ = _export(client, token)
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        response = client.post(
            "/graphql",
            json={"query": PORTAL_QUERY, "variables": {"first": 3, "after": after}},
            headers={"Authorization": f"Bearer {token}"},
        )
        page = response.json["data"]["portalRecords"]  # type: ignore[index]
        assert page["totalCount"] == len(served) - 1
        for edge in page["edges"]:
            node = edge["node"]
            assert node["kind"] == node["record"]["record"]
            assert node["ledgerIndex"] == node["record"]["ledgerIndex"]
            seen.append(node["record"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == served[1:]
    anonymous = client.post("/graphql", json={"query": PORTAL_QUERY})
    assert anonymous.json["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"  # type: ignore[index]
    bad = client.post(
        "/graphql",
        json={"query": PORTAL_QUERY, "variables": {"after": "zz"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.json["errors"][0]["extensions"]["code"] == "BAD_CURSOR"  # type: ignore[index]
