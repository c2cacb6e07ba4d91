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

Over 400 lines: the matrix and the setup of each door's request belong together, so that one
file shows every write door of the API.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from support.scenario import VN, Scenario

from ledger.signing import Signer
from traceapp.api.schema import get_schema
from traceapp.auth.services import create_token
from traceapp.batches.models import Item
from traceapp.batches.services import BatchInput, create_batch, issue_items
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput
from traceapp.events.epc import item_epc
from traceapp.events.models import Event
from traceapp.events.services import record_event
from traceapp.keys.services import register_key
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.services import LocationInput, register_location
from traceapp.producers.services import ProducerInput, producer_key, register_producer
from traceapp.products.models import Product
from traceapp.products.services import CertificationInput, ProductInput, grant_certification
from traceapp.products.services import register_product as register_product_service

from .conftest import Gql, global_id

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
CALLERS = ("admin", "producer (own)", "producer (other's)", "auditor", "anonymous")
OK, DENIED, REFUSED, PIN = "✓", "✗", "FORBIDDEN", "PIN"
_ADMIN_ONLY = (OK, DENIED, DENIED, DENIED, DENIED)
_OWNER = (OK, OK, REFUSED, DENIED, DENIED)

# One row per write door, in the order of docs/api.md: the outcome for each of CALLERS.
MATRIX: dict[str, tuple[str, ...]] = {
    "Mutation.registerProducer": _ADMIN_ONLY,
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


@dataclass
class Objects:
    """One producer's objects, as the doors name them."""

    producer: str
    key: str
    product: str
    certification: str
    location: str
    batch: str
    items: list[str]
    epcs: list[str]


@dataclass
class World:
    database: Database
    ledger: Ledger
    admin: str
    own: Objects
    other: Objects
    tokens: dict[str, str | None]
    serials: list[str]
    pins: dict[str, str]
    numbers: count[int] = field(default_factory=lambda: count(1))

    def record(self, target: Objects) -> str:
        """A fresh event of ``target``'s producer, for declareEventError."""
        when = datetime(2026, 12, 1, tzinfo=VN) + timedelta(minutes=next(self.numbers))
        with self.database.write() as s:
            record_event(
                s,
                self.ledger,
                target.key,
                EventInput(type="ObjectEvent", event_time=when, items=target.items[:1]),
            )
        with self.database.read_sessions() as s:
            public_id = s.execute(
                select(Event.public_id).order_by(Event.ledger_seq.desc()).limit(1)
            ).scalar_one()
        return global_id("Event", public_id)

    def key(self) -> str:
        signer = Signer.generate(f"auditor-{next(self.numbers)}")
        with self.database.write() as s:
            register_key(s, self.ledger, self.admin, signer.vkey, "auditor")
        return signer.key_name


def _gtin(n: int) -> str:
    body = f"893850598{n:03d}"
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _time(world: World) -> str:
    return (datetime(2026, 12, 5, tzinfo=VN) + timedelta(minutes=next(world.numbers))).isoformat()


def _epcis(world: World, target: Objects) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": _time(world),
        "eventTimeZoneOffset": "+07:00",
        "epcList": target.epcs[:1],
        "bizStep": "https://ref.gs1.org/cbv/BizStep-inspecting",
    }


def _document(world: World, target: Objects) -> dict[str, Any]:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-12-05T00:00:00.000Z",
        "epcisBody": {"eventList": [_epcis(world, target)]},
    }


def _typed_event(world: World, target: Objects) -> dict[str, Any]:
    return {
        "type": "OBJECT_EVENT",
        "eventTime": _time(world),
        "bizStep": "inspecting",
        "items": [global_id("Item", target.items[0])],
    }


Input = Callable[[World, Objects], dict[str, Any]]
INPUTS: dict[str, tuple[str, Input]] = {
    "registerProducer": (
        "RegisterProducerInput",
        lambda w, t: {
            "kind": "COOPERATIVE",
            "name": f"Hợp tác xã số {next(w.numbers)}",
            "province": "Sơn La",
            "addressRecordedOn": "2025-07-01",
        },
    ),
    "updateProducerContact": (
        "UpdateProducerContactInput",
        lambda w, t: {"producer": global_id("Producer", t.producer), "phone": "0912345678"},
    ),
    "registerProduct": (
        "RegisterProductInput",
        lambda w, t: {
            "producer": global_id("Producer", t.producer),
            "gtin": _gtin(next(w.numbers)),
            "nameVi": "Mứt mận Mộc Châu",
            "group": "FOOD",
        },
    ),
    "updateProduct": (
        "UpdateProductInput",
        lambda w, t: {"product": global_id("Product", t.product), "nameEn": "Tea"},
    ),
    # Uploads go as GraphQL multipart requests (``_upload``): the file is added there.
    "uploadProductPhoto": (
        "UploadProductPhotoInput",
        lambda w, t: {"product": global_id("Product", t.product)},
    ),
    "uploadProducerLogo": (
        "UploadProducerLogoInput",
        lambda w, t: {"producer": global_id("Producer", t.producer)},
    ),
    "grantCertification": (
        "GrantCertificationInput",
        lambda w, t: {
            "product": global_id("Product", t.product),
            "scheme": "VIETGAP",
            "issuer": "Sở Nông nghiệp",
            "decisionNumber": f"{next(w.numbers)}/QĐ",
            "issuedOn": "2025-06-01",
            "validUntil": "2027-06-01",
        },
    ),
    "revokeCertification": (
        "RevokeCertificationInput",
        lambda w, t: {
            "certification": global_id("Certification", t.certification),
            "reason": "Hết hiệu lực",
        },
    ),
    "registerLocation": (
        "RegisterLocationInput",
        lambda w, t: {
            "producer": global_id("Producer", t.producer),
            "code": f"KHO-{next(w.numbers)}",
            "name": "Kho lạnh",
            "kind": "WAREHOUSE",
        },
    ),
    "updateLocation": (
        "UpdateLocationInput",
        lambda w, t: {
            "location": global_id("Location", t.location),
            "name": f"Kho lạnh số {next(w.numbers)}",
        },
    ),
    "createBatch": (
        "CreateBatchInput",
        lambda w, t: {
            "product": global_id("Product", t.product),
            "lot": f"M-{next(w.numbers)}",
            "productionDate": "2026-12-01",
        },
    ),
    "issueItems": (
        "IssueItemsInput",
        lambda w, t: {"batch": global_id("Batch", t.batch), "count": 1},
    ),
    "recordEvent": ("RecordEventInput", lambda w, t: {"event": _typed_event(w, t)}),
    "recordEvents": ("RecordEventsInput", lambda w, t: {"events": [_typed_event(w, t)]}),
    "captureEpcisEvents": ("CaptureEpcisEventsInput", lambda w, t: {"events": [_epcis(w, t)]}),
    "captureEpcisDocument": (
        "CaptureEpcisDocumentInput",
        lambda w, t: {"document": _document(w, t)},
    ),
    "declareEventError": (
        "DeclareEventErrorInput",
        lambda w, t: {"event": w.record(t), "reason": "incorrect_data"},
    ),
    "issueRecall": (
        "IssueRecallInput",
        lambda w, t: {
            "batches": [global_id("Batch", t.batch)],
            "reason": "Kiểm tra",
            "severity": "LOW",
        },
    ),
    "registerKey": (
        "RegisterKeyInput",
        lambda w, t: {"vkey": Signer.generate(f"k-{next(w.numbers)}").vkey, "role": "AUDITOR"},
    ),
    "revokeKey": ("RevokeKeyInput", lambda w, t: {"key": w.key(), "reason": "Mất thiết bị"}),
    "createApiToken": ("CreateApiTokenInput", lambda w, t: {"label": "máy quét"}),
    "revokeApiToken": ("RevokeApiTokenInput", lambda w, t: {"token": _new_token(w, t)}),
}


def _new_token(world: World, target: Objects) -> str:
    """A fresh token of the target's producer, as its global ID."""
    with world.database.write() as s:
        token, _secret = create_token(s, "producer", target.producer)
        return global_id("ApiToken", token.public_id)


def _objects(database: Database, producer: str, key: str, **ids: Any) -> Objects:
    with database.read_sessions() as s:
        rows = s.execute(select(Item).where(Item.public_id.in_(ids["items"]))).scalars().all()
        serials = {r.public_id: r.serial for r in rows}
        gtin = s.execute(select(Product.gtin).where(Product.public_id == ids["product"]))
        gtin14 = gtin.scalar_one()
    epcs = [item_epc(gtin14, serials[i]) for i in ids["items"]]
    return Objects(producer=producer, key=key, epcs=epcs, **ids)


def _other(database: Database, ledger: Ledger, admin: str) -> Objects:
    with database.write() as s:
        producer = register_producer(
            s,
            ledger,
            admin,
            ProducerInput(
                kind="enterprise",
                name="Công ty Cổ phần Chè Mộc Châu",
                province="Sơn La",
                address_recorded_on="2025-07-01",
            ),
        ).public_ids[0]
    with database.write() as s:
        key = producer_key(s, producer)
        product = register_product_service(
            s, ledger, key, ProductInput(producer, _gtin(999), "Chè Mộc Châu", "drinks")
        ).public_ids[0]
        certification = grant_certification(
            s,
            ledger,
            admin,
            CertificationInput(
                product=product,
                scheme="OCOP",
                stars=3,
                issuer="UBND tỉnh Sơn La",
                issuer_level="province",
                decision_number="99/QĐ-UBND",
                issued_on=date(2025, 3, 1),
            ),
        ).public_ids[0]
        location = register_location(
            s, ledger, key, LocationInput(producer, "MC-KHO", "Kho chè Mộc Châu", "warehouse")
        ).public_ids[0]
        batch = create_batch(
            s, ledger, key, BatchInput(product, "MC-1", date(2026, 11, 1))
        ).public_ids[0]
        items = issue_items(s, ledger, key, batch, 2).receipt.public_ids
    return _objects(
        database,
        producer,
        key,
        product=product,
        certification=certification,
        location=location,
        batch=batch,
        items=items,
    )


@pytest.fixture
def world(database: Database, ledger: Ledger, admin: str, scenario: Scenario) -> World:
    own = _objects(
        database,
        scenario.producer,
        scenario.producer_key,
        product=scenario.product,
        certification=scenario.certification,
        location=scenario.farm,
        batch=scenario.batch,
        items=scenario.items,
    )
    with database.write() as s:
        tokens: dict[str, str | None] = {
            "admin": create_token(s, "admin")[1],
            "producer (own)": create_token(s, "producer", scenario.producer)[1],
            "auditor": create_token(s, "auditor")[1],
            "anonymous": None,
        }
    tokens["producer (other's)"] = tokens["producer (own)"]
    return World(
        database,
        ledger,
        admin,
        own,
        _other(database, ledger, admin),
        tokens,
        list(scenario.pins),
        scenario.pins,
    )


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
    body = json.dumps(_document(world, _target(world, caller)))
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
