"""Mutations: every userError code, atomicity, idempotency, the client-held key round trip.

Over 400 lines: every mutation's userError codes are listed together, so that one place shows
the whole error surface of the write API.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import func, select
from support.scenario import Scenario

from ledger.entry import parse_entry
from ledger.signing import Signer
from traceapp.db.sessions import Database
from traceapp.ledger_store.models import LedgerEntry

from .conftest import Gql, global_id

Tokens = dict[str, str | None]


def _size(database: Database) -> int:
    with database.read_sessions() as s:
        return int(s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())


def _errors(result: dict[str, Any], field: str) -> list[dict[str, Any]]:
    assert "errors" not in result, result
    errors: list[dict[str, Any]] = result["data"][field]["userErrors"]
    return errors


CREATE_BATCH = """mutation($input: CreateBatchInput!) { createBatch(input: $input) {
  batch { id lot } ledgerIndex leafHash entryCount replayed userErrors { field message code } } }"""
REGISTER_PRODUCT = """mutation($input: RegisterProductInput!) { registerProduct(input: $input) {
  product { id gtin nameVi } ledgerIndex replayed userErrors { field message code } } }"""


def test_every_user_error_code_is_reachable(
    gql: Gql, scenario: Scenario, tokens: Tokens, database: Database
) -> None:
    producer, product = (
        global_id("Producer", scenario.producer),
        global_id("Product", scenario.product),
    )
    before = _size(database)
    cases: list[tuple[str, str, dict[str, Any], str, str, str | None]] = [
        # (query, field, input, token role, expected code, expected field)
        (
            REGISTER_PRODUCT,
            "registerProduct",
            {"producer": producer, "gtin": "8938505974018", "nameVi": "Chè", "group": "DRINKS"},
            "producer",
            "INVALID_CHECK_DIGIT",
            "gtin",
        ),
        (
            REGISTER_PRODUCT,
            "registerProduct",
            {"producer": producer, "gtin": "8938505974019", "nameVi": "Chè", "group": "DRINKS"},
            "producer",
            "ALREADY_EXISTS",
            "gtin",
        ),
        (
            REGISTER_PRODUCT,
            "registerProduct",
            {"producer": producer, "gtin": "8938505974026", "nameVi": "  ", "group": "DRINKS"},
            "producer",
            "INVALID",
            "nameVi",
        ),
        (
            REGISTER_PRODUCT,
            "registerProduct",
            {
                "producer": global_id("Producer", "pro_nothing"),
                "gtin": "8938505974026",
                "nameVi": "x",
                "group": "DRINKS",
            },
            "producer",
            "NOT_FOUND",
            "producer",
        ),
        (
            REGISTER_PRODUCT,
            "registerProduct",
            {"producer": product, "gtin": "8938505974026", "nameVi": "x", "group": "DRINKS"},
            "producer",
            "NOT_FOUND",
            "producer",
        ),
        (
            CREATE_BATCH,
            "createBatch",
            {
                "product": product,
                "lot": "L1",
                "productionDate": "2026-01-01",
                "actor": "nobody+00000000",
            },
            "producer",
            "NOT_FOUND",
            "actor",
        ),
        (
            CREATE_BATCH,
            "createBatch",
            {"product": product, "lot": "L1", "productionDate": "2026-01-01", "signature": "%%%"},
            "producer",
            "BAD_SIGNATURE",
            "signature",
        ),
        (
            CREATE_BATCH,
            "createBatch",
            {
                "product": product,
                "lot": "L1",
                "productionDate": "2026-01-01",
                "signature": base64.b64encode(b"x" * 64).decode(),
                "idempotencyKey": "sig-1",
            },
            "producer",
            "BAD_SIGNATURE",
            "signature",
        ),
    ]
    for query, field, data, role, code, where in cases:
        errors = _errors(gql(query, {"input": data}, tokens[role]), field)
        assert [(e["code"], e["field"]) for e in errors] == [(code, where)], (data, errors)

    # FORBIDDEN from the domain: another producer's key may not act for this producer.
    from traceapp.auth.services import create_token
    from traceapp.ledger_runtime import get_ledger
    from traceapp.producers.services import ProducerInput, register_producer

    app_ledger = get_ledger(gql.client.application)
    with database.write() as s:
        from traceapp.keys.services import admin_key_name

        other = register_producer(
            s,
            app_ledger,
            admin_key_name(s),
            ProducerInput(
                kind="enterprise",
                name="Công ty B",
                province="Hà Giang",
                address_recorded_on="2025-07-01",
            ),
        ).public_ids[0]
    with database.write() as s:
        other_token = create_token(s, "producer", other)[1]
    errors = _errors(
        gql(
            CREATE_BATCH,
            {"input": {"product": product, "lot": "X1", "productionDate": "2026-01-01"}},
            other_token,
        ),
        "createBatch",
    )
    assert [e["code"] for e in errors] == ["FORBIDDEN"]

    # IDEMPOTENCY_CONFLICT: the same key for a different request.
    first = {
        "product": product,
        "lot": "L-IDEM",
        "productionDate": "2026-01-01",
        "idempotencyKey": "k",
    }
    assert _errors(gql(CREATE_BATCH, {"input": first}, tokens["producer"]), "createBatch") == []
    conflict = {**first, "lot": "L-OTHER"}
    errors = _errors(gql(CREATE_BATCH, {"input": conflict}, tokens["producer"]), "createBatch")
    assert [(e["code"], e["field"]) for e in errors] == [("IDEMPOTENCY_CONFLICT", "idempotencyKey")]
    # Refused writes appended nothing: only the producer registration (+ its key) and one batch.
    assert _size(database) == before + 3


def test_idempotent_retry_returns_the_same_result_and_appends_once(
    gql: Gql, scenario: Scenario, tokens: Tokens, database: Database
) -> None:
    data = {
        "product": global_id("Product", scenario.product),
        "lot": "L2027-01",
        "productionDate": "2027-01-05",
        "idempotencyKey": "retry-me",
    }
    before = _size(database)
    first = gql(CREATE_BATCH, {"input": data}, tokens["producer"])["data"]["createBatch"]
    again = gql(CREATE_BATCH, {"input": data}, tokens["producer"])["data"]["createBatch"]
    assert first["replayed"] is False and again["replayed"] is True
    for key in ("batch", "ledgerIndex", "leafHash", "entryCount"):
        assert first[key] == again[key]
    assert _size(database) == before + 1


def test_a_refused_write_leaves_nothing_behind(
    gql: Gql, scenario: Scenario, tokens: Tokens, database: Database
) -> None:
    before = _size(database)
    shop = global_id("Location", scenario.shop)
    events = [
        {
            "type": "OBJECT_EVENT",
            "eventTime": "2026-12-01T08:00:00+07:00",
            "bizStep": "receiving",
            "items": [global_id("Item", scenario.items[0])],
            "readPoint": shop,
        },
        {
            "type": "OBJECT_EVENT",
            "eventTime": "2026-12-01T09:00:00",
            "bizStep": "retail_selling",
            "items": [global_id("Item", scenario.items[1])],
        },
    ]
    result = gql(
        """mutation($input: RecordEventsInput!) { recordEvents(input: $input) {
             events { id } entryCount userErrors { field code } } }""",
        {"input": {"events": events}},
        tokens["producer"],
    )["data"]["recordEvents"]
    assert result["userErrors"] == [{"field": "eventTime", "code": "INVALID"}]
    assert result["events"] == [] and result["entryCount"] == 0
    assert _size(database) == before


def test_client_held_key_round_trip(
    gql: Gql, scenario: Scenario, tokens: Tokens, database: Database
) -> None:
    signer = Signer.generate("hoptacxa-banme-phone")
    registered = gql(
        """mutation($input: RegisterKeyInput!) { registerKey(input: $input) {
             key { name role producerId } userErrors { code field message } } }""",
        {
            "input": {
                "vkey": signer.vkey,
                "role": "PRODUCER",
                "producer": global_id("Producer", scenario.producer),
            }
        },
        tokens["admin"],
    )["data"]["registerKey"]
    assert registered["userErrors"] == [] and registered["key"]["name"] == signer.key_name

    data = {
        "product": global_id("Product", scenario.product),
        "lot": "L-SIGNED-1",
        "productionDate": "2027-02-01",
        "actor": signer.key_name,
        "idempotencyKey": "signed-1",
    }
    prepared = gql(
        """query($input: CreateBatchInput!) { prepareCreateBatch(input: $input) {
             actor type statement message idempotencyKey userErrors { code field } } }""",
        {"input": data},
        tokens["producer"],
    )["data"]["prepareCreateBatch"]
    assert prepared["userErrors"] == [] and prepared["actor"] == signer.key_name
    message = base64.b64decode(prepared["message"])
    assert message.startswith(b"ocop-ledger/statement/v1\n")
    signature = signer.sign(message)

    before = _size(database)
    submitted = gql(
        CREATE_BATCH,
        {"input": {**data, "signature": base64.b64encode(signature).decode()}},
        tokens["producer"],
    )["data"]["createBatch"]
    assert submitted["userErrors"] == [], submitted
    assert _size(database) == before + 1
    with database.read_sessions() as s:
        row = s.get(
            LedgerEntry,
            (gql.client.application.config["TRACEAPP"].log_origin, submitted["ledgerIndex"]),
        )
        assert row is not None
    entry = parse_entry(row.entry)
    assert entry.actor == signer.key_name and entry.sig == signature
    assert entry.statement == prepared["statement"]
    assert json.loads(row.entry)["type"] == "batch.created"

    # A tampered input no longer matches the signature.
    tampered = {
        **data,
        "lot": "L-SIGNED-2",
        "idempotencyKey": "signed-2",
        "signature": base64.b64encode(signature).decode(),
    }
    errors = _errors(gql(CREATE_BATCH, {"input": tampered}, tokens["producer"]), "createBatch")
    assert [e["code"] for e in errors] == ["BAD_SIGNATURE"]
    # Preparing the used key again says it is done; PINs cannot be client-signed.
    again = gql(
        """query($input: CreateBatchInput!) { prepareCreateBatch(input: $input) { userErrors { code } } }""",
        {"input": data},
        tokens["producer"],
    )["data"]["prepareCreateBatch"]
    assert again["userErrors"] == [{"code": "IDEMPOTENCY_CONFLICT"}]
    pins = gql(
        """query($input: IssueItemsInput!) { prepareIssueItems(input: $input) { userErrors { code field } } }""",
        {
            "input": {
                "batch": submitted["batch"]["id"],
                "count": 2,
                "withPins": True,
                "actor": signer.key_name,
                "idempotencyKey": "pins",
            }
        },
        tokens["producer"],
    )["data"]["prepareIssueItems"]
    assert pins["userErrors"] == [{"code": "INVALID", "field": "withPins"}]


def test_admin_writes_across_the_catalogue(gql: Gql, scenario: Scenario, tokens: Tokens) -> None:
    admin = tokens["admin"]
    producer = gql(
        """mutation($input: RegisterProducerInput!) { registerProducer(input: $input) {
             producer { id name kind personalData { field value } } userErrors { code field } } }""",
        {
            "input": {
                "kind": "HOUSEHOLD_BUSINESS",
                "name": "Hộ kinh doanh Mật ong Bắc Hà",
                "province": "Lào Cai",
                "addressRecordedOn": "2025-07-01",
                "personal": {"ownerName": "Lò Thị Mai", "phone": "0987654321"},
            }
        },
        admin,
    )["data"]["registerProducer"]
    assert producer["userErrors"] == [] and producer["producer"]["kind"] == "HOUSEHOLD_BUSINESS"
    assert {"field": "owner_name", "value": "Lò Thị Mai"} in producer["producer"]["personalData"]

    cert = gql(
        """mutation($input: GrantCertificationInput!) { grantCertification(input: $input) {
             certification { id stars validUntil status product { gtin } } userErrors { code field } } }""",
        {
            "input": {
                "product": global_id("Product", scenario.product),
                "scheme": "OCOP",
                "stars": 5,
                "issuer": "Bộ Nông nghiệp và Môi trường",
                "issuerLevel": "NATIONAL",
                "decisionNumber": "99/QĐ-BNNMT",
                "issuedOn": "2026-01-10",
            }
        },
        admin,
    )["data"]["grantCertification"]
    assert cert["userErrors"] == [] and cert["certification"]["validUntil"] == "2029-01-10"
    revoked = gql(
        """mutation($input: RevokeCertificationInput!) { revokeCertification(input: $input) {
             certification { status revokeReason } userErrors { code } } }""",
        {"input": {"certification": cert["certification"]["id"], "reason": "Sai quy trình"}},
        admin,
    )["data"]["revokeCertification"]
    assert revoked["certification"] == {"status": "REVOKED", "revokeReason": "Sai quy trình"}

    recall = gql(
        """mutation($input: IssueRecallInput!) { issueRecall(input: $input) {
             recall { severity batches { lot } } userErrors { code field } } }""",
        {
            "input": {
                "batches": [global_id("Batch", scenario.batch)],
                "reason": "Nhiễm ẩm",
                "severity": "HIGH",
            }
        },
        admin,
    )["data"]["issueRecall"]
    assert recall["recall"] == {"severity": "HIGH", "batches": [{"lot": "L2026-11A"}]}
    statuses = gql("{ items(first: 10) { edges { node { status } } } }", token=admin)["data"][
        "items"
    ]["edges"]
    assert {e["node"]["status"] for e in statuses} == {"RECALLED"}


def test_declare_error_and_capture(gql: Gql, scenario: Scenario, tokens: Tokens) -> None:
    token = tokens["producer"]
    events = gql("{ events(first: 5) { edges { node { id eventId bizStep } } } }", token=token)
    packing = next(
        e["node"] for e in events["data"]["events"]["edges"] if e["node"]["bizStep"] == "packing"
    )
    declared = gql(
        """mutation($input: DeclareEventErrorInput!) { declareEventError(input: $input) {
             correctiveEvents { bizStep } ledgerIndex userErrors { code field } } }""",
        {
            "input": {
                "event": packing["id"],
                "reason": "incorrect_data",
                "correctiveEvents": [
                    {
                        "type": "OBJECT_EVENT",
                        "eventTime": "2026-11-03T07:00:00+07:00",
                        "bizStep": "packing",
                        "items": [global_id("Item", i) for i in scenario.items],
                    }
                ],
            }
        },
        token,
    )["data"]["declareEventError"]
    assert declared["userErrors"] == [] and declared["correctiveEvents"] == [{"bizStep": "packing"}]

    document = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2026-12-04T10:00:00.000Z",
        "eventTimeZoneOffset": "+07:00",
        "epcList": ["https://id.gs1.org/01/08938505974019/21/UNKNOWN1"],
        "bizStep": "https://ref.gs1.org/cbv/BizStep-inspecting",
    }
    query = """mutation($input: CaptureEpcisEventsInput!) { captureEpcisEvents(input: $input) {
                 events { type bizStep } entryCount userErrors { code } } }"""
    captured = gql(query, {"input": {"events": [document]}}, token)["data"]["captureEpcisEvents"]
    assert captured["events"] == [{"type": "OBJECT_EVENT", "bizStep": "inspecting"}]
    repeated = gql(query, {"input": {"events": [document]}}, token)["data"]["captureEpcisEvents"]
    assert repeated["entryCount"] == 0 and repeated["userErrors"] == []

    # A whole EPCISDocument, validated against the GS1 schema, as the REST capture does.
    epcis = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-12-04T10:05:00.000Z",
        "epcisBody": {"eventList": [{**document, "eventTime": "2026-12-04T11:00:00.000Z"}]},
    }
    capture = """mutation($input: CaptureEpcisDocumentInput!) { captureEpcisDocument(input: $input) {
                   events { bizStep } entryCount report userErrors { field code } } }"""
    done = gql(capture, {"input": {"document": epcis}}, token)["data"]["captureEpcisDocument"]
    assert done["userErrors"] == [] and done["entryCount"] == 1
    assert done["events"] == [{"bizStep": "inspecting"}]
    assert done["report"]["success"] and len(done["report"]["recorded"]) == 1
    broken = {**epcis, "epcisBody": {"eventList": [{"type": "ObjectEvent", "action": "OBSERVE"}]}}
    refused = gql(capture, {"input": {"document": broken}}, token)["data"]["captureEpcisDocument"]
    assert refused["entryCount"] == 0
    assert {"field": "/epcisBody/eventList/0/eventTime", "code": "EPCIS_REQUIRED"} in refused[
        "userErrors"
    ]
