"""Capturing EPCIS documents into the ledger: GS1's examples, EPC resolution, eventIDs,
error declarations, and hostile documents that must leave nothing recorded."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.batches.models import Batch, Item
from traceapp.db.sessions import Database
from traceapp.epcis.errors import EpcisValidationError
from traceapp.epcis.event_hash import HashContext, event_hash
from traceapp.epcis.schema import iter_events
from traceapp.events.capture import CaptureRejected, CaptureResult, capture_document
from traceapp.events.models import Event, EventEpc
from traceapp.ledger_store.models import LedgerEntry, LedgerHead
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.services import ProducerInput, producer_key, register_producer

GS1_EXAMPLES = Path(__file__).parent.parent / "fixtures" / "epcis" / "examples"
GS1_FILES = sorted(GS1_EXAMPLES.rglob("*.jsonld"))
GTIN = "08938505974019"  # the scenario's product
URN_PREFIX = "urn:epc:id:sgtin:8938505.097401."  # the same GTIN as an SGTIN URN


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((GS1_EXAMPLES / name).read_text(encoding="utf-8"))
    return document


def size(database: Database, ledger: Ledger) -> int:
    with database.read_sessions() as session:
        head = session.get(LedgerHead, ledger.origin)
        return head.size if head else 0


def capture(
    database: Database, ledger: Ledger, actor: str, document: object, **kwargs: Any
) -> CaptureResult:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    with database.write() as session:
        return capture_document(session, ledger, actor, body, **kwargs)


def document_of(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-05T08:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def observe(epcs: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": "2026-11-05T09:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "bizStep": "receiving",
        "epcList": epcs,
        **extra,
    }


def serials(database: Database, scenario: Scenario) -> list[str]:
    with database.read_sessions() as session:
        return list(
            session.execute(
                select(Item.serial).where(Item.public_id.in_(scenario.items)).order_by(Item.id)
            ).scalars()
        )


# ---------------------------------------------------------------------------------------------
# GS1's examples
# ---------------------------------------------------------------------------------------------


def test_every_gs1_example_imports(database: Database, ledger: Ledger, admin: str) -> None:
    assert len(GS1_FILES) >= 30
    for path in GS1_FILES:
        document = json.loads(path.read_text(encoding="utf-8"))
        result = capture(database, ledger, admin, document)
        name = path.name
        assert result.success, (name, result.failures)
        handled = len(result.recorded) + len(result.duplicates) + len(result.error_declared)
        assert handled == result.total == len(list(iter_events(document))), name
        # GS1 reuses a few eventIDs across examples: a duplicate is one we already hold.
        with database.read_sessions() as session:
            for event_id in result.duplicates:
                assert session.execute(
                    select(Event.id).where(Event.event_id == event_id)
                ).scalar_one(), name


def test_an_imported_event_is_stored_as_received(
    database: Database, ledger: Ledger, admin: str
) -> None:
    document = load("WithFullCombinationOfFields/aggregation_event_all_possible_fields.jsonld")
    capture(database, ledger, admin, document)
    (sent,) = iter_events(document)
    with database.read_sessions() as session:
        row = session.execute(select(Event)).scalars().all()[-1]
    stored = json.loads(row.document)
    assert stored.pop("@context") == {
        k: v for item in document["@context"] if isinstance(item, dict) for k, v in item.items()
    }
    expected = {k: v for k, v in sent.items() if k != "recordTime"}
    expected.setdefault("eventID", stored["eventID"])
    assert stored == expected
    assert row.type == "AggregationEvent" and row.biz_step == "receiving"


def test_query_document_events_import(database: Database, ledger: Ledger, admin: str) -> None:
    result = capture(database, ledger, admin, load("EPCISQueryDocument.jsonld"))
    assert result.document_type == "EPCISQueryDocument" and len(result.recorded) == 2


# ---------------------------------------------------------------------------------------------
# eventIDs
# ---------------------------------------------------------------------------------------------


def test_mismatching_hash_id_is_kept_and_reported(
    database: Database, ledger: Ledger, admin: str
) -> None:
    document = load("Example_9.6.1-ObjectEvent.jsonld")
    first = document["epcisBody"]["eventList"][0]
    computed = event_hash(first, HashContext.from_document(document))
    assert first["eventID"] != computed  # GS1's example predates the final algorithm
    result = capture(database, ledger, admin, document)
    assert result.recorded[0] == first["eventID"]
    warning = result.warnings[0]
    assert warning.pointer == "/epcisBody/eventList/0/eventID"
    assert (warning.found, warning.expected) == (first["eventID"], computed)
    assert result.as_json()["warnings"][0]["rule"] == "eventHash"


def test_absent_event_id_is_our_hash_and_recapture_appends_nothing(
    database: Database, ledger: Ledger, admin: str
) -> None:
    event = observe(["urn:epc:id:sgtin:0614141.107346.2017"])
    document = document_of(event)
    result = capture(database, ledger, admin, document)
    assert result.recorded == [event_hash(event)] and not result.warnings
    before = size(database, ledger)
    again = capture(database, ledger, admin, document)
    assert again.duplicates == result.recorded and again.receipt is None
    assert size(database, ledger) == before


def test_matching_hash_id_gives_no_warning(database: Database, ledger: Ledger, admin: str) -> None:
    event = observe(["urn:epc:id:sgtin:0614141.107346.2017"])
    event["eventID"] = event_hash(event)
    result = capture(database, ledger, admin, document_of(event))
    assert result.recorded == [event["eventID"]] and not result.warnings


# ---------------------------------------------------------------------------------------------
# EPCs: ours resolve to items and batches in any spelling, others stay external references
# ---------------------------------------------------------------------------------------------


def test_epcs_in_urn_and_digital_link_form_resolve_to_our_items(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    first, second, third = serials(database, scenario)[:3]
    external = "urn:epc:id:sgtin:0614141.107346.2017"
    event = observe(
        [
            URN_PREFIX + first,
            f"https://id.gs1.org/01/{GTIN}/21/{second}",
            f"https://shop.example.vn/01/{GTIN}/10/L2026-11A/21/{third}",
            external,
        ],
        quantityList=[{"epcClass": "urn:epc:class:lgtin:8938505.097401.L2026-11A", "quantity": 3}],
    )
    result = capture(database, ledger, scenario.producer_key, document_of(event))
    assert len(result.recorded) == 1
    with database.read_sessions() as session:
        seq = session.execute(
            select(Event.ledger_seq).where(Event.event_id == result.recorded[0])
        ).scalar_one()
        rows = session.execute(select(EventEpc).where(EventEpc.event_seq == seq)).scalars().all()
        items = dict(session.execute(select(Item.serial, Item.id)).tuples().all())
        batch = session.execute(select(Batch.id).where(Batch.lot == "L2026-11A")).scalar_one()
    by_epc = {r.epc: r for r in rows}
    for serial in (first, second, third):
        row = by_epc[f"https://id.gs1.org/01/{GTIN}/21/{serial}"]
        assert row.item_id == items[serial]
    assert by_epc[f"https://id.gs1.org/01/{GTIN}/10/L2026-11A"].batch_id == batch
    foreign = by_epc["https://id.gs1.org/01/10614141073464/21/2017"]
    assert foreign.item_id is None and foreign.batch_id is None
    # The event itself keeps the spellings it was sent with.
    with database.read_sessions() as session:
        document = session.execute(select(Event.document).where(Event.ledger_seq == seq))
        assert external in document.scalar_one()


# ---------------------------------------------------------------------------------------------
# errorDeclaration
# ---------------------------------------------------------------------------------------------


def _declared(event: dict[str, Any], reason: str = "incorrect_data") -> dict[str, Any]:
    declared = copy.deepcopy(event)
    declared["errorDeclaration"] = {
        "declarationTime": "2026-11-06T10:00:00+07:00",
        "reason": reason,
        "correctiveEventIDs": ["urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8"],
        "example:note": "kept whole",
    }
    return declared


def test_error_declaration_on_a_recorded_event_is_an_append_only_correction(
    database: Database, ledger: Ledger, admin: str
) -> None:
    event = observe(["urn:epc:id:sgtin:0614141.107346.2017"])
    event["eventID"] = event_hash(event)
    capture(database, ledger, admin, document_of(event))
    document = document_of(_declared(event))
    document["@context"].append({"example": "http://ns.example.com/epcis/"})
    result = capture(database, ledger, admin, document)
    assert result.error_declared == [event["eventID"]] and not result.recorded
    with database.read_sessions() as session:
        row = session.execute(select(Event).where(Event.event_id == event["eventID"])).scalar_one()
        entry = session.get(LedgerEntry, (ledger.origin, row.error_declared_seq))
        assert entry is not None and entry.type == "event.error_declared"
        assert "errorDeclaration" not in row.document  # the original stays as it was
    assert row.error_reason == "https://ref.gs1.org/cbv/ER-incorrect_data"
    before = size(database, ledger)
    again = capture(database, ledger, admin, document)
    assert again.duplicates == [event["eventID"]] and size(database, ledger) == before


def test_error_declaration_for_an_event_we_never_had_is_recorded_as_received(
    database: Database, ledger: Ledger, admin: str
) -> None:
    result = capture(
        database,
        ledger,
        admin,
        load("WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld"),
    )
    declared_id = "urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8"
    assert declared_id in result.recorded
    with database.read_sessions() as session:
        row = session.execute(select(Event).where(Event.event_id == declared_id)).scalar_one()
    assert row.error_declared_seq == row.ledger_seq
    assert json.loads(row.document)["errorDeclaration"]["example:vendorExtension"] == "Test1"


def test_only_the_events_producer_may_declare_an_error(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    event = observe([f"https://id.gs1.org/01/{GTIN}/21/{serials(database, scenario)[0]}"])
    event["eventID"] = event_hash(event)
    capture(database, ledger, scenario.producer_key, document_of(event))
    with database.write() as session:
        other = register_producer(
            session,
            ledger,
            admin,
            ProducerInput(
                kind="household_business",
                name="Hộ kinh doanh Mật ong Bắc Hà",
                province="Lào Cai",
                commune="Xã Bắc Hà",
                street="Thôn 1",
                address_recorded_on=date(2025, 7, 1),
                tax_code="5300999999",
            ),
        ).public_ids[0]
        other_key = producer_key(session, other)
    before = size(database, ledger)
    with pytest.raises(CaptureRejected) as caught:
        capture(database, ledger, other_key, document_of(_declared(event)))
    assert caught.value.issues[0].pointer == "/epcisBody/eventList/0/errorDeclaration"
    assert caught.value.issues[0].rule == "FORBIDDEN"
    assert size(database, ledger) == before


# ---------------------------------------------------------------------------------------------
# Hostile documents: a clear error, nothing recorded
# ---------------------------------------------------------------------------------------------


def _bad_time_zone() -> dict[str, Any]:
    return document_of(observe(["urn:epc:id:sgtin:0614141.107346.1"], eventTimeZoneOffset="+25:00"))


def _no_offset() -> dict[str, Any]:
    return document_of(
        observe(["urn:epc:id:sgtin:0614141.107346.1"], eventTime="2026-11-05T09:00:00")
    )


def _unknown_type() -> dict[str, Any]:
    event = observe(["urn:epc:id:sgtin:0614141.107346.1"])
    event["type"] = "TeleportEvent"
    return document_of(observe(["urn:epc:id:sgtin:0614141.107346.2"]), event)


def _schema_violation() -> dict[str, Any]:
    event = observe(["urn:epc:id:sgtin:0614141.107346.1"])
    del event["action"]
    return document_of(observe(["urn:epc:id:sgtin:0614141.107346.2"]), event)


@pytest.mark.parametrize(
    ("body", "pointer", "rule"),
    [
        (b'{"type": "EPCISDocument", "epcisBody": ', "", "json"),
        (b"\xff\xfe{}", "", "encoding"),
        (b"[]", "", "type"),
        (
            b'{"type": "EPCISDocument", "type": "EPCISDocument"}',
            "",
            "json",
        ),
        (_bad_time_zone, "/epcisBody/eventList/0/eventTimeZoneOffset", "pattern"),
        (_no_offset, "/epcisBody/eventList/0/eventTime", "format"),
        (_unknown_type, "/epcisBody/eventList/1/type", None),
        (_schema_violation, "/epcisBody/eventList/1/action", "required"),
        (b" " * (50 * 1024 * 1024), "", "maxBytes"),
    ],
    ids=[
        "truncated-json",
        "not-utf8",
        "not-an-object",
        "duplicate-member",
        "bad-time-zone",
        "time-without-offset",
        "unknown-event-type",
        "schema-violation",
        "50MB",
    ],
)
def test_hostile_documents_are_refused_and_nothing_is_recorded(
    database: Database, ledger: Ledger, admin: str, body: Any, pointer: str, rule: str | None
) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body()).encode()
    before = size(database, ledger)
    with pytest.raises(EpcisValidationError) as caught:
        capture(database, ledger, admin, raw)
    issues = caught.value.issues
    assert any(i.pointer == pointer and (rule is None or i.rule == rule) for i in issues), issues
    assert size(database, ledger) == before
    with database.read_sessions() as session:
        assert session.execute(select(Event.id)).first() is None


def test_proceed_records_the_valid_events_and_reports_the_others(
    database: Database, ledger: Ledger, admin: str
) -> None:
    result = capture(database, ledger, admin, _schema_violation(), error_behaviour="proceed")
    assert len(result.recorded) == 1 and not result.success
    assert {(i.pointer, i.rule) for i in result.failures} == {
        ("/epcisBody/eventList/1/action", "required")
    }
