"""Every write door × every caller, generated from the schema and the routes (issue 14).

``MATRIX`` is the documented outcome of every Mutation field and every REST write route for
each caller: the admin, a producer on its own objects, a producer on another producer's
objects, an auditor, and an anonymous caller. The test runs every cell, and fails when the
schema or the URL map has a write door the matrix does not list, so a new door cannot ship
without a rule. docs/api.md carries the same table (section "Who may write what"); a test keeps the
two equal.

Outcomes: ``✓`` done; ``✗`` refused by the API before anything runs (UNAUTHENTICATED or
FORBIDDEN, HTTP 401/403); ``FORBIDDEN`` refused by the domain (a userError, or a capture
issue with that rule), nothing written; ``PIN`` the scratch-off PIN decides, not the token.

The objects the doors act on and each door's input are ``authorisation_world.py``.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.api.schema import get_schema
from traceapp.batches.models import Item
from traceapp.db.sessions import Database
from traceapp.ledger_store.writer import Ledger

from .authorisation_world import INPUTS, Objects, World, build_world, epcis_document
from .conftest import Gql

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
CALLERS = ("admin", "producer (own)", "producer (other's)", "auditor", "anonymous")
OK, DENIED, REFUSED, PIN = "✓", "✗", "FORBIDDEN", "PIN"
_ADMIN_ONLY = (OK, DENIED, DENIED, DENIED, DENIED)
_OWNER = (OK, OK, REFUSED, DENIED, DENIED)

# One row per write door, in the order of docs/api.md: the outcome for each of CALLERS.
MATRIX: dict[str, tuple[str, ...]] = {
    "Mutation.registerProducer": _ADMIN_ONLY,
    "Mutation.updateProducer": _ADMIN_ONLY,
    "Mutation.suspendProducer": _ADMIN_ONLY,
    "Mutation.resumeProducer": _ADMIN_ONLY,
    "Mutation.updateProducerContact": _OWNER,
    "Mutation.registerProduct": _OWNER,
    "Mutation.updateProduct": _OWNER,
    "Mutation.uploadProductPhoto": _OWNER,
    "Mutation.uploadProducerLogo": _OWNER,
    "Mutation.grantCertification": _ADMIN_ONLY,
    "Mutation.revokeCertification": _ADMIN_ONLY,
    "Mutation.registerLocation": _OWNER,
    "Mutation.updateLocation": _OWNER,
    "Mutation.createBatch": _OWNER,
    "Mutation.issueItems": _OWNER,
    "Mutation.recordEvent": _OWNER,
    "Mutation.recordEvents": _OWNER,
    "Mutation.captureEpcisEvents": _OWNER,
    "Mutation.captureEpcisDocument": _OWNER,
    "Mutation.declareEventError": _OWNER,
    "Mutation.issueRecall": _OWNER,
    "Mutation.registerKey": _ADMIN_ONLY,
    "Mutation.revokeKey": _ADMIN_ONLY,
    # A producer's own API tokens: no other role manages tokens over GraphQL (the CLI does).
    "Mutation.createApiToken": (DENIED, OK, OK, DENIED, DENIED),
    "Mutation.revokeApiToken": (DENIED, OK, REFUSED, DENIED, DENIED),
    "POST /epcis/capture": _OWNER,
    # The scratch-off claim form of an item's page: the PIN is the authority, any caller.
    "POST /01/…": (PIN, PIN, PIN, PIN, PIN),
}
# Route endpoints and the matrix row that covers them; /graphql is the Mutation rows' door.
ROUTES = {
    "epcis_api.capture": "POST /epcis/capture",
    "resolver.resolve": "POST /01/…",
    "graphql": "Mutation.*",
}
# Write routes whose authority is not an API token, and the tests that hold each to its rule
# (docs/api.md, "Who may write what").
OTHER_AUTHORITY = {
    # Anyone may report a suspected fake: same-origin, rate-limited, no ledger entry
    # (tests/web/test_landing_and_reports.py).
    "pages.report_submit": "anyone",
    # tlog-witness: the log's signature on the checkpoint is the authority (tests/witness).
    "witness_api.add_checkpoint_view": "the log's signature",
    # EPCIS named queries and subscriptions: settings of the caller, no ledger entry; a
    # producer's query is its own and yields its own events (tests/epcis/test_queries_api.py,
    # tests/epcis/test_subscriptions.py).
    "epcis_queries.create": "any token; owned by its creator",
    "epcis_queries.delete": "the query's owner or an admin",
    "epcis_queries.subscribe": "the query's owner or an admin",
    "epcis_queries.unsubscribe": "the query's owner or an admin",
}


@pytest.fixture
def world(database: Database, ledger: Ledger, admin: str, scenario: Scenario) -> World:
    return build_world(database, ledger, admin, scenario)


def _target(world: World, caller: str) -> Objects:
    return world.other if caller == "producer (other's)" else world.own


def _mutation_outcome(gql: Gql, world: World, name: str, caller: str) -> str:
    input_type, build = INPUTS[name]
    query = (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) "
        "{ userErrors { field message code } } }"
    )
    variables = {"input": build(world, _target(world, caller))}
    if name.startswith("upload"):
        result = _upload(gql.client, query, variables, world.tokens[caller])
    else:
        result = gql(query, variables, world.tokens[caller])
    codes = {e.get("extensions", {}).get("code") for e in result.get("errors", [])}
    if codes & {"UNAUTHENTICATED", "FORBIDDEN"}:
        return DENIED
    assert "errors" not in result, (name, caller, result)
    errors = result["data"][name]["userErrors"]
    if not errors:
        return OK
    assert {e["code"] for e in errors} == {REFUSED}, (name, caller, errors)
    return REFUSED


def _upload(
    client: FlaskClient, query: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    """A GraphQL multipart request carrying a real PNG as ``input.file``."""
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 60)).save(picture, format="PNG")
    variables["input"]["file"] = None
    form = {
        "operations": json.dumps({"query": query, "variables": variables}),
        "map": json.dumps({"0": ["variables.input.file"]}),
        "0": (io.BytesIO(picture.getvalue()), "photo.png", "image/png"),
    }
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post(
        "/graphql", data=form, content_type="multipart/form-data", headers=headers
    )
    result: dict[str, Any] = response.get_json()
    return result


def _capture_outcome(client: FlaskClient, world: World, caller: str) -> str:
    token = world.tokens[caller]
    headers = {"Content-Type": "application/ld+json", "Prefer": "wait"}  # captured at once
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(epcis_document(world, _target(world, caller)))
    response = client.post("/epcis/capture", data=body, headers=headers)
    if response.status_code in (401, 403):
        return DENIED
    if response.status_code == 201:
        return OK
    assert {i["rule"] for i in response.json["issues"]} == {REFUSED}, (caller, response.json)
    return REFUSED


def _claim_outcome(client: FlaskClient, world: World, caller: str) -> str:
    serial = world.serials[CALLERS.index(caller)]
    token = world.tokens[caller]
    headers = {"Origin": "https://truyxuat.ocop.example.vn"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = client.post(
        f"/01/08938505974019/10/L2026-11A/21/{serial}",
        data={"pin": world.pins[serial]},
        headers=headers,
        environ_base={"REMOTE_ADDR": f"203.0.113.{CALLERS.index(caller) + 10}"},
    )
    assert response.status_code == 200, (caller, response.status_code)
    with world.database.read_sessions() as s:
        status = s.execute(select(Item.status).where(Item.serial == serial)).scalar_one()
    return PIN if status == "claimed" else f"not claimed ({status})"


def test_the_matrix_lists_every_write_door(app: Flask) -> None:
    schema = get_schema()._schema
    mutations = {f"Mutation.{name}" for name in schema.get_type("Mutation").fields}  # type: ignore[union-attr]
    listed = {row for row in MATRIX if row.startswith("Mutation.")}
    assert mutations == listed, "add the new mutation to MATRIX and to docs/api.md"
    assert set(INPUTS) == {row.split(".", 1)[1] for row in listed}
    writes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.methods and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
    }
    assert not set(ROUTES) & set(OTHER_AUTHORITY)
    # The console's forms: the blueprint's before_request hook asks for a signed-in person's
    # session and the form's CSRF token on every POST (tests/console/test_security.py); which
    # objects a member reaches is each page's test in tests/console.
    writes = {endpoint for endpoint in writes if not endpoint.startswith("console.")}
    assert writes == set(ROUTES) | set(OTHER_AUTHORITY), (
        "add the new write route to MATRIX and ROUTES (or OTHER_AUTHORITY) and docs/api.md"
    )
    assert {row for row in MATRIX if not row.startswith("Mutation.")} == {
        row for row in ROUTES.values() if row != "Mutation.*"
    }


def test_every_door_every_caller_gets_the_documented_outcome(
    gql: Gql, client: FlaskClient, world: World
) -> None:
    seen: dict[str, tuple[str, ...]] = {}
    # Claims first: the recall row later recalls the items the claim form would be shown.
    for row in sorted(MATRIX, key=lambda r: r != "POST /01/…"):
        outcomes = []
        for caller in CALLERS:
            if row == "POST /epcis/capture":
                outcomes.append(_capture_outcome(client, world, caller))
            elif row == "POST /01/…":
                outcomes.append(_claim_outcome(client, world, caller))
            else:
                outcomes.append(_mutation_outcome(gql, world, row.split(".", 1)[1], caller))
        seen[row] = tuple(outcomes)
    assert seen == MATRIX


def _docs_matrix() -> dict[str, tuple[str, ...]]:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("\n## Who may write what", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, ...]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`(.+)`", cells[0]) if len(cells) == len(CALLERS) + 1 else None
        if match:
            rows[match[1]] = tuple(cells[1:])
    return rows


def test_docs_mirror_the_matrix() -> None:
    assert _docs_matrix() == MATRIX
