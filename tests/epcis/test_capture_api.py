"""POST /epcis/capture and GET /epcis/capture/{id}: who may capture, rollback and proceed,
limits, and problem details naming every issue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.auth.services import create_token
from traceapp.db.sessions import Database
from traceapp.events.models import Event
from traceapp.ledger_store.models import LedgerEntry, LedgerHead
from traceapp.ledger_store.writer import Ledger

GS1_EXAMPLES = Path(__file__).parent.parent / "fixtures" / "epcis" / "examples"
EXAMPLE = (GS1_EXAMPLES / "Example_9.6.1-ObjectEvent.jsonld").read_bytes()


def token(database: Database, role: str, producer: str | None = None) -> str:
    with database.write() as session:
        return create_token(session, role, producer)[1]


def post(client: FlaskClient, body: bytes, bearer: str | None, **headers: str) -> Any:
    # Prefer: wait captures before answering; the 202 path is tests/epcis/test_queries_api.py.
    sent = {"Content-Type": "application/ld+json", "Prefer": "wait", **headers}
    if bearer:
        sent["Authorization"] = f"Bearer {bearer}"
    return client.post("/epcis/capture", data=body, headers=sent)


def size(database: Database, ledger: Ledger) -> int:
    with database.read_sessions() as session:
        head = session.get(LedgerHead, ledger.origin)
        return head.size if head else 0


def two_events_one_bad() -> bytes:
    document = json.loads(EXAMPLE)
    del document["epcisBody"]["eventList"][1]["action"]
    return json.dumps(document).encode()


def test_producer_captures_and_the_entries_are_signed_by_its_key(
    client: FlaskClient, database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    response = post(client, EXAMPLE, token(database, "producer", scenario.producer))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["success"] is True and len(body["recorded"]) == 2
    assert body["captureErrorBehaviour"] == "rollback" and body["running"] is False
    assert len(body["warnings"]) == 2  # GS1's example carries older-draft hash IDs
    assert response.headers["Location"] == f"/epcis/capture/{body['captureID']}"
    with database.read_sessions() as session:
        entry = session.get(LedgerEntry, (ledger.origin, body["ledgerIndex"]))
    assert entry is not None and entry.actor == scenario.producer_key
    job = client.get(
        response.headers["Location"],
        headers={"Authorization": f"Bearer {token(database, 'admin')}"},
    )
    assert job.status_code == 200 and job.json["recorded"] == body["recorded"]


def test_capture_needs_a_producer_or_admin_token(
    client: FlaskClient, database: Database, ledger: Ledger
) -> None:
    before = size(database, ledger)
    missing = post(client, EXAMPLE, None)
    assert missing.status_code == 401 and "Bearer" in missing.headers["WWW-Authenticate"]
    assert post(client, EXAMPLE, "ocop_not-a-token").status_code == 401
    auditor = post(client, EXAMPLE, token(database, "auditor"))
    assert auditor.status_code == 403
    assert auditor.json["type"] == "epcisException:SecurityException"
    assert size(database, ledger) == before


def test_rollback_is_all_or_nothing(
    client: FlaskClient, database: Database, ledger: Ledger
) -> None:
    before = size(database, ledger)
    response = post(client, two_events_one_bad(), token(database, "admin"))
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert {"pointer": "/epcisBody/eventList/1/action", "rule": "required"}.items() <= (
        response.json["issues"][0].items()
    )
    assert size(database, ledger) == before


def test_proceed_records_the_valid_events(
    client: FlaskClient, database: Database, ledger: Ledger
) -> None:
    admin = token(database, "admin")
    response = post(
        client, two_events_one_bad(), admin, **{"GS1-Capture-Error-Behaviour": "proceed"}
    )
    assert response.status_code == 201
    assert response.json["success"] is False and len(response.json["recorded"]) == 1
    assert response.json["errors"][0]["pointer"] == "/epcisBody/eventList/1/action"
    job = client.get(response.headers["Location"], headers={"Authorization": f"Bearer {admin}"})
    assert job.json["success"] is False and job.json["captureErrorBehaviour"] == "proceed"


def test_recapture_appends_nothing(client: FlaskClient, database: Database, ledger: Ledger) -> None:
    admin = token(database, "admin")
    assert post(client, EXAMPLE, admin).status_code == 201
    before = size(database, ledger)
    again = post(client, EXAMPLE, admin)
    assert again.status_code == 201 and len(again.json["duplicates"]) == 2
    assert size(database, ledger) == before


def test_bodies_over_20_mib_are_refused_before_parsing(
    client: FlaskClient, database: Database, ledger: Ledger
) -> None:
    before = size(database, ledger)
    response = post(client, b" " * (50 * 1024 * 1024), token(database, "admin"))
    assert response.status_code == 413
    assert response.json["type"] == "epcisException:CaptureLimitExceededException"
    assert size(database, ledger) == before


def test_invalid_json_and_wrong_media_type_are_refused(
    client: FlaskClient, database: Database
) -> None:
    admin = token(database, "admin")
    response = post(client, b'{"type": ', admin)
    assert response.status_code == 400 and response.json["issues"][0]["rule"] == "json"
    assert post(client, EXAMPLE, admin, **{"Content-Type": "text/plain"}).status_code == 415
    bad = post(client, EXAMPLE, admin, **{"GS1-Capture-Error-Behaviour": "maybe"})
    assert bad.status_code == 400
    with database.read_sessions() as session:
        assert session.execute(select(Event.id)).first() is None


def test_capture_jobs_are_private_to_their_signer(
    client: FlaskClient, database: Database, scenario: Scenario
) -> None:
    response = post(client, EXAMPLE, token(database, "admin"))
    location = response.headers["Location"]
    producer = token(database, "producer", scenario.producer)
    assert client.get(location, headers={"Authorization": f"Bearer {producer}"}).status_code == 404
    assert client.get(location).status_code == 401


def test_epcis_1x_urns_are_accepted_and_stored_as_cbv_2_uris(
    client: FlaskClient, database: Database, scenario: Scenario
) -> None:
    """GS1's 2.0 schema refuses ``urn:epcglobal:cbv:…``; CBV 2.0 §8.2 says they mean the web
    URIs, and docs/epcis.md promises 1.x documents are read: they are upgraded, then checked."""
    document = json.loads(EXAMPLE)
    first, second = document["epcisBody"]["eventList"]
    for event in (first, second):
        del event["eventID"]  # the hash IDs of GS1's example are an older draft's
    first["bizStep"] = "urn:epcglobal:cbv:bizstep:shipping"
    first["disposition"] = "urn:epcglobal:cbv:disp:in_transit"
    first["bizTransactionList"][0]["type"] = "urn:epcglobal:cbv:btt:po"
    second["bizStep"] = "urn:epcglobal:cbv:bizstep:receiving"
    response = post(
        client, json.dumps(document).encode(), token(database, "producer", scenario.producer)
    )
    assert response.status_code == 201, response.json
    assert response.json["warnings"] == []
    with database.read_sessions() as session:
        rows = session.scalars(
            select(Event).where(Event.event_id.in_(response.json["recorded"]))
        ).all()
    assert sorted(r.biz_step for r in rows) == ["receiving", "shipping"]
    stored = [json.loads(r.document) for r in rows]
    steps = sorted(e["bizStep"] for e in stored)
    assert steps == [
        "https://ref.gs1.org/cbv/BizStep-receiving",
        "https://ref.gs1.org/cbv/BizStep-shipping",
    ]
    shipped = next(e for e in stored if e["bizStep"].endswith("shipping"))
    assert shipped["disposition"] == "https://ref.gs1.org/cbv/Disp-in_transit"
    assert shipped["bizTransactionList"][0]["type"] == "https://ref.gs1.org/cbv/BTT-po"

    queued = client.post(  # the 202 door checks the same upgraded document before queuing
        "/epcis/capture",
        data=json.dumps(document).encode(),
        headers={
            "Content-Type": "application/ld+json",
            "Authorization": f"Bearer {token(database, 'producer', scenario.producer)}",
        },
    )
    assert queued.status_code == 202, queued.json

    misspelt = json.loads(json.dumps(document))
    misspelt["epcisBody"]["eventList"][0]["bizStep"] = "urn:epcglobal:cbv:bizstep:shiping"
    refused = post(
        client, json.dumps(misspelt).encode(), token(database, "producer", scenario.producer)
    )
    assert refused.status_code == 400
    assert "shipping" in json.dumps(refused.json)  # the suggestion names the CBV step
