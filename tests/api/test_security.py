"""Authentication, the role table of docs/api.md, scoping, masking, introspection, GET."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.scenario import Scenario

from traceapp import create_app
from traceapp.api.permissions import ROLES, RULES
from traceapp.api.schema import get_schema
from traceapp.auth.services import create_token
from traceapp.db.sessions import Database
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.services import ProducerInput, register_producer

from .conftest import Gql

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
DENIED = {"UNAUTHENTICATED", "FORBIDDEN"}

_INPUTS = {
    "registerProducer": '{kind: COOPERATIVE, name: "x", province: "y", addressRecordedOn: "2025-01-01"}',
    "registerProduct": '{producer: "x", gtin: "1", nameVi: "x", group: FOOD}',
    "updateProduct": '{product: "x"}',
    "updateProducerContact": '{producer: "x"}',
    "uploadProductPhoto": '{product: "x", file: "x"}',
    "uploadProducerLogo": '{producer: "x", file: "x"}',
    "grantCertification": '{product: "x", scheme: OCOP, issuer: "x", decisionNumber: "1", issuedOn: "2025-01-01"}',
    "revokeCertification": '{certification: "x", reason: "r"}',
    "registerLocation": '{producer: "x", code: "c", name: "n", kind: FARM}',
    "updateLocation": '{location: "x", name: "n"}',
    "createBatch": '{product: "x", lot: "L", productionDate: "2025-01-01"}',
    "issueItems": '{batch: "x", count: 1}',
    "recordEvent": '{event: {type: OBJECT_EVENT, eventTime: "2026-01-01T00:00:00+07:00"}}',
    "recordEvents": "{events: []}",
    "captureEpcisEvents": "{events: []}",
    "captureEpcisDocument": "{document: {}}",
    "declareEventError": '{event: "x", reason: "incorrect_data"}',
    "issueRecall": '{batches: [], reason: "r", severity: LOW}',
    "registerKey": '{vkey: "x", role: AUDITOR}',
    "revokeKey": '{key: "x", reason: "r"}',
    "createApiToken": '{label: "x"}',
    "revokeApiToken": '{token: "x"}',
}
_QUERIES = {
    "node": '{ node(id: "eA") { id } }',
    "nodes": "{ nodes(ids: []) { id } }",
    "viewer": "{ viewer { role } }",
    "ledgerInfo": "{ ledgerInfo { size } }",
    "auditSummary": "{ auditSummary { size } }",
    "portalRecords": "{ portalRecords(first: 1) { totalCount } }",
    "statistics": "{ statistics { __typename } }",
    "latestCheckpoint": "{ latestCheckpoint { size } }",
    "checkpoint": "{ checkpoint(size: 1) { size } }",
    "inclusionProof": "{ inclusionProof(index: 0, size: 1) { proof } }",
    "consistencyProof": "{ consistencyProof(old: 1, new: 2) { proof } }",
    "verifyItem": '{ verifyItem(code: "https://example.org/01/1") { __typename } }',
    "Producer.personalData": "{ producers(first: 1) { edges { node { personalData { field } } } } }",
    "Item.hasPin": "{ items(first: 1) { edges { node { hasPin } } } }",
    "Viewer.apiTokens": "{ viewer { apiTokens(first: 1) { totalCount } } }",
}


def _probe(parent: str, field: str) -> str:
    if parent == "Mutation":
        return f"mutation {{ {field}(input: {_INPUTS[field]}) {{ userErrors {{ code }} }} }}"
    if field.startswith("prepare"):
        mutation = field[len("prepare")].lower() + field[len("prepare") + 1 :]
        return f"{{ {field}(input: {_INPUTS[mutation]}) {{ userErrors {{ code }} }} }}"
    key = field if parent == "Query" else f"{parent}.{field}"
    return _QUERIES.get(key, f"{{ {field}(first: 1) {{ totalCount }} }}")


def _docs_table() -> dict[tuple[str, str], set[str]]:
    rows: dict[tuple[str, str], set[str]] = {}
    header: list[str] | None = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == "operation":
            header = cells[1:]
            continue
        match = re.fullmatch(r"`(\w+)\.(\w+)`", cells[0]) if header else None
        if match and header:
            rows[(match[1], match[2])] = {
                r for r, c in zip(header, cells[1:], strict=True) if c == "✓"
            }
    return rows


def test_docs_table_is_the_enforced_table_and_covers_every_root_field() -> None:
    table = _docs_table()
    assert {k: frozenset(v) for k, v in table.items()} == RULES
    schema = get_schema()._schema
    for root in ("Query", "Mutation"):
        for name in schema.get_type(root).fields:  # type: ignore[union-attr]
            assert (root, name) in table, f"{root}.{name} has no row in docs/api.md"


def _denied(result: dict[str, Any]) -> set[str]:
    return {e.get("extensions", {}).get("code") for e in result.get("errors", [])} & DENIED


def test_walk_the_role_table(gql: Gql, tokens: dict[str, str | None]) -> None:
    for (parent, field), allowed in sorted(_docs_table().items()):
        query = _probe(parent, field)
        for role in ROLES:
            result = gql(query, token=tokens[role])
            denied = _denied(result)
            if role in allowed:
                assert not denied, (parent, field, role, result)
            else:
                expected = "UNAUTHENTICATED" if role == "anonymous" else "FORBIDDEN"
                assert expected in denied, (parent, field, role, result)


def test_bad_tokens_get_401(client: FlaskClient) -> None:
    for header in ("Bearer nope", "Basic abc", "Bearer "):
        response = client.post(
            "/graphql", json={"query": "{ viewer { role } }"}, headers={"Authorization": header}
        )
        assert response.status_code == 401
        assert response.get_json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_producer_reads_only_its_own_items_and_events(
    gql: Gql,
    database: Database,
    ledger: Ledger,
    admin: str,
    scenario: Scenario,
    tokens: dict[str, str | None],
) -> None:
    with database.write() as session:
        other = register_producer(
            session,
            ledger,
            admin,
            ProducerInput(
                kind="enterprise",
                name="Công ty Mật ong Bắc Hà",
                province="Lào Cai",
                address_recorded_on="2025-07-01",
            ),
        ).public_ids[0]
    with database.write() as session:
        other_token = create_token(session, "producer", other)[1]
    query = "{ items(first: 50) { totalCount } events(first: 50) { totalCount } }"
    own = gql(query, token=tokens["producer"])["data"]
    assert own == {"items": {"totalCount": 5}, "events": {"totalCount": 3}}
    assert gql(query, token=other_token)["data"] == {
        "items": {"totalCount": 0},
        "events": {"totalCount": 0},
    }
    # node() applies the same scope: invisible objects are null, not an error.
    from .conftest import global_id

    item = global_id("Item", scenario.items[0])
    assert gql(f'{{ node(id: "{item}") {{ id }} }}', token=other_token)["data"] == {"node": None}
    assert gql(f'{{ node(id: "{item}") {{ id }} }}')["data"] == {"node": None}
    assert (
        gql(f'{{ node(id: "{item}") {{ id }} }}', token=tokens["producer"])["data"]["node"]["id"]
        == item
    )


def test_personal_data_only_for_admin(
    gql: Gql, scenario: Scenario, tokens: dict[str, str | None]
) -> None:
    query = "{ producers(first: 5) { edges { node { name personalData { field value } } } } }"
    data = gql(query, token=tokens["admin"])["data"]
    personal = data["producers"]["edges"][0]["node"]["personalData"]
    assert {"field": "phone", "value": "0912345678"} in personal
    for role in ("producer", "auditor", "anonymous"):
        result = gql(query, token=tokens[role])
        assert "0912345678" not in str(result) and "Nguyễn Văn Hùng" not in str(result)


def test_vietnamese_is_returned_as_stored(client: FlaskClient, scenario: Scenario) -> None:
    response = client.post(
        "/graphql", json={"query": "{ producers(first: 1) { edges { node { name } } } }"}
    )
    body = response.get_data()
    assert "Hợp tác xã Chè Shan Tuyết Bản Mế".encode() in body


def test_get_runs_queries_only(client: FlaskClient) -> None:
    ok = client.get("/graphql", query_string={"query": "{ viewer { role } }"})
    assert ok.status_code == 200 and ok.get_json()["data"] == {"viewer": {"role": "ANONYMOUS"}}
    refused = client.get(
        "/graphql",
        query_string={
            "query": 'mutation { revokeKey(input: {key: "x", reason: "r"}) { replayed } }'
        },
    )
    assert refused.status_code == 400


def test_internal_errors_are_masked(gql: Gql, monkeypatch: pytest.MonkeyPatch) -> None:
    from traceapp.api import ledger_queries

    def boom(*_args: Any) -> int:
        raise RuntimeError("secret internals: /srv/db password=hunter2")

    monkeypatch.setattr(ledger_queries.reads, "log_size", boom)
    result = gql("{ ledgerInfo { size } }")
    assert result["errors"][0]["message"] == "Internal server error."
    assert result["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in str(result)


@pytest.fixture
def production_client(app_config: dict[str, Any]) -> FlaskClient:
    app: Flask = create_app({**app_config, "GRAPHIQL": False, "INTROSPECTION": False})
    return app.test_client()


def test_introspection_and_graphiql_off_when_configured(production_client: FlaskClient) -> None:
    gql = Gql(production_client)
    result = gql("{ __schema { types { name } } }")
    assert result["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    page = production_client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404
    # No "Did you mean ...": the schema does not leak through misspellings.
    typo = gql("{ producer { nam } }")
    assert "Did you mean" not in str(typo)


def test_graphiql_on_in_development(client: FlaskClient) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and b"graphiql" in page.get_data().lower()
    gql = Gql(client)
    assert "errors" not in gql("{ __schema { queryType { name } } }")
