"""GET /epcis/events and the exporter: schema-valid documents, REST query parameters,
paging, and import -> export -> import without loss (same hashes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from support.scenario import Scenario

from traceapp.db.sessions import Database
from traceapp.epcis.event_hash import HashContext, event_hash
from traceapp.epcis.exporter import epcis_document
from traceapp.epcis.schema import iter_events, validate_document
from traceapp.events.capture import capture_document
from traceapp.events.query import iter_all, parse_query
from traceapp.ledger_store.models import LedgerHead
from traceapp.ledger_store.writer import Ledger

GS1_EXAMPLES = Path(__file__).parent.parent / "fixtures" / "epcis" / "examples"
GS1_FILES = sorted(GS1_EXAMPLES.rglob("*.jsonld"))
GTIN = "08938505974019"


def import_examples(database: Database, ledger: Ledger, admin: str) -> dict[str, str]:
    """Import every GS1 example; eventID -> the CBV hash of the event first sent with it."""
    hashes: dict[str, str] = {}
    for path in GS1_FILES:
        document = json.loads(path.read_text(encoding="utf-8"))
        with database.write() as session:
            capture_document(session, ledger, admin, path.read_bytes())
        context = HashContext.from_document(document)
        for event in iter_events(document):
            computed = event_hash(event, context)
            hashes.setdefault(event.get("eventID", computed), computed)
    return hashes


def exported(client: FlaskClient, query: str = "") -> Any:
    response = client.get(f"/epcis/events{query}")
    assert response.status_code == 200, response.json
    return response


def test_import_export_import_is_lossless(
    client: FlaskClient, database: Database, ledger: Ledger, admin: str
) -> None:
    sent = import_examples(database, ledger, admin)
    with database.read_sessions() as session:
        events = list(iter_all(session, ledger.origin, parse_query({})))
    document = epcis_document(events)
    validate_document(document)
    context = HashContext.from_document(document)
    out = {e["eventID"]: event_hash(e, context) for e in iter_events(document)}
    assert out == {event_id: sent[event_id] for event_id in out}
    assert len(out) == len(events) >= 30
    # Importing the export again recognises every event and appends nothing.
    with database.read_sessions() as session:
        head = session.get(LedgerHead, ledger.origin)
        before = head.size if head else 0
    with database.write() as session:
        again = capture_document(session, ledger, admin, json.dumps(document))
    assert len(again.duplicates) == len(events) and again.receipt is None
    with database.read_sessions() as session:
        head = session.get(LedgerHead, ledger.origin)
        assert head is not None and head.size == before


def test_rest_answer_is_a_valid_query_document_with_record_times(
    client: FlaskClient, database: Database, ledger: Ledger, admin: str
) -> None:
    import_examples(database, ledger, admin)
    response = exported(client)
    assert response.headers["Content-Type"] == "application/ld+json"
    document = response.json
    validate_document(document)
    assert document["type"] == "EPCISQueryDocument"
    events = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert events and all(e["recordTime"].endswith("Z") for e in events)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?eventType=AggregationEvent", {"AggregationEvent"}),
        ("?eventType=TransactionEvent|AssociationEvent", {"TransactionEvent", "AssociationEvent"}),
    ],
)
def test_event_type_filter(
    client: FlaskClient,
    database: Database,
    ledger: Ledger,
    admin: str,
    query: str,
    expected: set[str],
) -> None:
    import_examples(database, ledger, admin)
    events = exported(client, query).json["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert events and {e["type"] for e in events} == expected


def _events(client: FlaskClient, query: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = exported(client, query).json["epcisBody"]["queryResults"][
        "resultsBody"
    ]["eventList"]
    return events


def test_filters_on_the_scenario(client: FlaskClient, scenario: Scenario) -> None:
    everything = _events(client, "")
    assert len(everything) == 3
    shipping = _events(client, "?EQ_bizStep=shipping")
    assert [e["bizStep"] for e in shipping] == ["https://ref.gs1.org/cbv/BizStep-shipping"]
    assert _events(client, "?EQ_bizStep=https://ref.gs1.org/cbv/BizStep-shipping") == shipping
    assert _events(client, "?EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping") == shipping
    assert len(_events(client, "?GE_eventTime=2026-11-03T00:00:00%2B07:00")) == 2
    assert len(_events(client, "?LT_eventTime=2026-11-02T00:00:00Z")) == 1
    assert len(_events(client, "?GE_recordTime=2000-01-01T00:00:00Z")) == 3
    assert _events(client, "?LT_recordTime=2000-01-01T00:00:00Z") == []
    read_point = everything[0]["readPoint"]["id"]
    assert len(_events(client, f"?EQ_readPoint={read_point}")) == 3
    assert _events(client, "?EQ_bizLocation=urn:epc:id:sgln:0614141.00777.0") == []
    assert _events(client, "?EQ_disposition=in_transit") == []
    # One item, named as a Digital Link on any host or as an SGTIN URN.
    item = everything[1]["epcList"][0]
    serial = item.rsplit("/", 1)[1]
    by_dl = _events(client, f"?MATCH_epc={item}")
    assert len(by_dl) == 2  # packing and shipping
    assert _events(client, f"?MATCH_epc=urn:epc:id:sgtin:8938505.097401.{serial}") == by_dl
    assert len(_events(client, f"?MATCH_anyEPC={item}")) == 2
    lot = f"https://id.gs1.org/01/{GTIN}/10/L2026-11A"
    assert [e["bizStep"] for e in _events(client, f"?MATCH_epcClass={lot}")] == [
        "https://ref.gs1.org/cbv/BizStep-harvesting"
    ]
    assert _events(client, "?MATCH_epcClass=urn:epc:class:lgtin:8938505.097401.L2026-11A") == (
        _events(client, f"?MATCH_epcClass={lot}")
    )


def test_paging_with_next_page_token(client: FlaskClient, scenario: Scenario) -> None:
    first = exported(client, "?perPage=2")
    token = first.headers["GS1-Next-Page-Token"]
    assert 'rel="next"' in first.headers["Link"] and "nextPageToken=" in first.headers["Link"]
    second = exported(client, f"?perPage=2&nextPageToken={token}")
    assert "Link" not in second.headers
    ids = [
        e["eventID"]
        for r in (first, second)
        for e in r.json["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    ]
    assert len(ids) == len(set(ids)) == 3


@pytest.mark.parametrize(
    "query",
    [
        "?eventType=TeleportEvent",
        "?GE_eventTime=yesterday",
        "?GE_eventTime=2026-11-03T00:00:00",
        "?perPage=0",
        "?perPage=100000",
        "?nextPageToken=garbage",
        "?EQ_quantity=3",
        "?GE_eventTime=2026-11-03T00:00:00Z&GE_eventTime=2026-11-04T00:00:00Z",
    ],
)
def test_bad_query_parameters_are_refused(client: FlaskClient, query: str) -> None:
    response = client.get(f"/epcis/events{query}")
    assert response.status_code == 400
    assert response.json["type"] == "epcisException:QueryParameterException"
