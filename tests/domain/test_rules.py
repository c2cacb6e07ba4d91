"""Bad input changes nothing; retries append nothing; clients may sign with their own keys."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support.scenario import VN, Scenario

from ledger.entry import parse_entry
from ledger.signing import Signer
from traceapp.batches.models import Batch
from traceapp.batches.services import BatchInput, create_batch, issue_items, plan_create_batch
from traceapp.db.sessions import Database
from traceapp.errors import (
    AlreadyExists,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from traceapp.events.building import EventInput
from traceapp.events.errors import EventsRejected
from traceapp.events.models import Event
from traceapp.events.services import declare_error, record_epcis_events, record_event
from traceapp.keys.services import register_key, revoke_key
from traceapp.ledger_store.errors import IdempotencyConflict, SignatureRejected
from traceapp.ledger_store.models import CustodialKey, LedgerCheckpoint, LedgerEntry
from traceapp.ledger_store.service import WriteRequest
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.services import ProducerInput, register_producer
from traceapp.products.services import (
    CertificationInput,
    ProductInput,
    grant_certification,
    register_product,
)


def _counts(database: Database) -> tuple[int, int, int]:
    with database.read_sessions() as s:
        return (
            s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one(),
            s.execute(select(func.count()).select_from(LedgerCheckpoint)).scalar_one(),
            s.execute(select(func.count()).select_from(Batch)).scalar_one(),
        )


BAD_BATCHES = [
    ({"lot": "L" * 21}, "lot", "INVALID_"),
    ({"lot": "LÔ-1"}, "lot", "INVALID_"),
    ({"lot": "L2026-11A"}, "lot", "ALREADY_EXISTS"),
    ({"production_date": "2026-13-01"}, "productionDate", "INVALID"),
    ({"expiry_date": "2020-01-01"}, "expiryDate", "INVALID"),
    ({"quantity": "-3"}, "quantity", "INVALID"),
    ({"quantity": "abc"}, "quantity", "INVALID"),
    ({"quantity": "5", "unit": None}, "unit", "INVALID"),
    ({"origin_location": "loc_nope"}, "originLocation", "NOT_FOUND"),
    ({"inputs": ["bat_nope"]}, "inputs.0", "NOT_FOUND"),
    ({"product": "prd_nope"}, "product", "NOT_FOUND"),
]


@pytest.mark.parametrize(("change", "field", "code"), BAD_BATCHES)
def test_bad_batch_input_is_a_typed_error_and_leaves_nothing(
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    change: dict[str, object],
    field: str,
    code: str,
) -> None:
    before = _counts(database)
    data = {
        "product": scenario.product,
        "lot": "L2026-12B",
        "production_date": date(2026, 12, 1),
        "quantity": "10",
        "unit": "kg",
        **change,
    }
    with pytest.raises(DomainError) as info, database.write() as s:
        create_batch(s, ledger, scenario.producer_key, BatchInput(**data))  # type: ignore[arg-type]
    assert info.value.field == field and info.value.code.startswith(code)
    assert _counts(database) == before


def test_failure_after_the_append_rolls_everything_back(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    before = _counts(database)
    with pytest.raises(RuntimeError), database.write() as s:
        create_batch(
            s,
            ledger,
            scenario.producer_key,
            BatchInput(product=scenario.product, lot="L-ROLLBACK", production_date="2026-12-01"),
        )
        assert _counts_in(s)[0] == before[0] + 1
        raise RuntimeError("crash after append")
    assert _counts(database) == before


def _counts_in(s: Session) -> tuple[int]:
    return (s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one(),)


def test_producers_cannot_write_for_others(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    with database.write() as s:
        other = register_producer(
            s,
            ledger,
            admin,
            ProducerInput(
                "household_business", "Hộ kinh doanh Mật ong Bạc Hà", "Hà Giang", "2025-07-01"
            ),
        ).public_ids[0]
    with pytest.raises(PermissionDenied), database.write() as s:
        register_product(
            s,
            ledger,
            scenario.producer_key,
            ProductInput(producer=other, gtin="8938505974026", name_vi="Mật ong", group="food"),
        )
    with pytest.raises(PermissionDenied), database.write() as s:
        register_producer(
            s, ledger, scenario.producer_key, ProducerInput("enterprise", "X", "Huế", "2025-07-01")
        )
    with pytest.raises(PermissionDenied), database.write() as s:
        grant_certification(
            s,
            ledger,
            scenario.producer_key,
            CertificationInput(
                scenario.product,
                "OCOP",
                "UBND",
                "1/QĐ",
                "2026-01-01",
                stars=5,
                issuer_level="province",
            ),
        )


def test_idempotency_key_returns_the_first_result_and_appends_nothing(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    data = BatchInput(product=scenario.product, lot="L-IDEM", production_date="2026-12-01")
    with database.write() as s:
        first = create_batch(s, ledger, scenario.producer_key, data, idempotency_key="req-1")
    before = _counts(database)
    with database.write() as s:
        again = create_batch(s, ledger, scenario.producer_key, data, idempotency_key="req-1")
    assert again.replayed and again.public_ids == first.public_ids
    assert again.ledger_index == first.ledger_index and again.leaf_hash == first.leaf_hash
    assert _counts(database) == before
    other = BatchInput(product=scenario.product, lot="L-OTHER", production_date="2026-12-01")
    with pytest.raises(IdempotencyConflict), database.write() as s:
        create_batch(s, ledger, scenario.producer_key, other, idempotency_key="req-1")


def test_ocop_rules(database: Database, ledger: Ledger, admin: str, scenario: Scenario) -> None:
    base = dict(
        product=scenario.product,
        scheme="OCOP",
        issuer="UBND tỉnh Lào Cai",
        decision_number="99/QĐ",
        issued_on="2026-01-10",
        issuer_level="province",
    )
    for change, field in (
        ({"stars": 2}, "stars"),
        ({"stars": 6}, "stars"),
        ({"stars": 3, "valid_until": "2029-06-01"}, "validUntil"),
        ({"stars": 3, "issuer_level": None}, "issuerLevel"),
        ({"stars": 3, "issuer_level": "commune"}, "issuerLevel"),
    ):
        with pytest.raises(ValidationFailed) as info, database.write() as s:
            grant_certification(s, ledger, admin, CertificationInput(**{**base, **change}))  # type: ignore[arg-type]
        assert info.value.field == field
    with database.write() as s:
        receipt = grant_certification(s, ledger, admin, CertificationInput(**{**base, "stars": 5}))  # type: ignore[arg-type]
        statement = parse_entry(
            s.get(LedgerEntry, (ledger.origin, receipt.ledger_index)).entry
        ).statement  # type: ignore[union-attr]
    assert statement["valid_until"] == "2029-01-10"  # 36 months


def test_client_held_key_signs_the_prepared_bytes(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    own = Signer.generate("htx-ban-me-tablet")
    with database.write() as s:
        register_key(s, ledger, admin, own.vkey, "producer", scenario.producer)
    data = BatchInput(product=scenario.product, lot="L-CLIENT", production_date="2026-12-01")

    def build_with(s: Session) -> object:
        # What the API's "prepare" query does: the service's plan for the same key.
        request = WriteRequest(own.key_name, "tablet-7", for_client_key=True)
        return plan_create_batch(s, ledger, request, data)[0]

    with database.read_sessions() as s:
        draft = build_with(s)
    message = draft.message(own.key_name)  # type: ignore[attr-defined]
    with pytest.raises(SignatureRejected), database.write() as s:
        create_batch(
            s,
            ledger,
            own.key_name,
            data,
            idempotency_key="tablet-7",
            signature=Signer.generate("intruder").sign(message),
        )
    with database.write() as s:
        receipt = create_batch(
            s, ledger, own.key_name, data, idempotency_key="tablet-7", signature=own.sign(message)
        )
        entry = parse_entry(s.get(LedgerEntry, (ledger.origin, receipt.ledger_index)).entry)  # type: ignore[union-attr]
    assert entry.actor == own.key_name and entry.sig == own.sign(message)
    with database.write() as s:
        revoke_key(s, ledger, admin, own.key_name, "tablet lost")
    data2 = BatchInput(product=scenario.product, lot="L-CLIENT2", production_date="2026-12-01")
    with pytest.raises(SignatureRejected), database.write() as s:
        create_batch(s, ledger, own.key_name, data2, signature=own.sign(message))


def test_error_declaration_keeps_the_old_event(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    from traceapp.events.models import Event

    with database.read_sessions() as s:
        shipped = s.execute(select(Event).where(Event.biz_step == "shipping")).scalar_one()
    fix = EventInput(
        type="ObjectEvent",
        event_time=datetime(2026, 11, 4, 9, 0, tzinfo=VN),
        biz_step="shipping",
        items=scenario.items,
        read_point=scenario.farm,
    )
    with database.write() as s:
        declare_error(s, ledger, scenario.producer_key, shipped.event_id, "incorrect_data", [fix])
    with database.read_sessions() as s:
        events = s.execute(select(Event).where(Event.biz_step == "shipping")).scalars().all()
    assert len(events) == 2
    old = next(e for e in events if e.event_id == shipped.event_id)
    assert old.error_declared_seq is not None
    assert old.error_reason == "https://ref.gs1.org/cbv/ER-incorrect_data"
    with pytest.raises(AlreadyExists), database.write() as s:
        declare_error(s, ledger, scenario.producer_key, shipped.event_id, "incorrect_data")
    with pytest.raises(NotFound), database.write() as s:
        declare_error(s, ledger, scenario.producer_key, "ni:///sha-256;00?ver=CBV2.0", "x")


def test_duplicate_event_is_refused(database: Database, ledger: Ledger, scenario: Scenario) -> None:
    event = EventInput(
        type="ObjectEvent",
        event_time=datetime(2026, 11, 5, 9, 0, tzinfo=VN),
        biz_step="receiving",
        items=scenario.items[:1],
    )
    with database.write() as s:
        record_event(s, ledger, scenario.producer_key, event)
    with pytest.raises(AlreadyExists), database.write() as s:
        record_event(s, ledger, scenario.producer_key, event)


def test_items_issue_in_statements_of_at_most_1000(
    database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    with database.write() as s:
        # 2,500 tea bags from 120.5 kg: more items than the quantity, so the reason is given.
        issued = issue_items(
            s,
            ledger,
            scenario.producer_key,
            scenario.batch,
            2500,
            over_quantity_reason="đóng túi lọc 40 g",
        )
    assert issued.receipt.entry_count == 3 and len(set(issued.receipt.public_ids)) == 2500
    with pytest.raises(ValidationFailed), database.write() as s:
        issue_items(s, ledger, scenario.producer_key, scenario.batch, 0)


def test_custodial_keys_are_encrypted_at_rest(database: Database, scenario: Scenario) -> None:
    with database.read_sessions() as s:
        rows = s.execute(select(CustodialKey)).scalars().all()
    assert len(rows) >= 3
    assert all(len(r.ciphertext) == 32 + 16 for r in rows)  # seed + GCM tag, nothing in clear


def test_a_producer_cannot_retract_an_event_the_admin_recorded(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    # Issue 14 item 6: an event without a producer (the admin's) passed the ownership check.
    event = EventInput(
        type="ObjectEvent",
        event_time=datetime(2026, 11, 6, 9, 0, tzinfo=VN),
        biz_step="inspecting",
        items=scenario.items[:1],
    )
    with database.write() as s:
        record_event(s, ledger, admin, event)
    with database.read_sessions() as s:
        recorded = s.execute(select(Event).where(Event.biz_step == "inspecting")).scalar_one()
    assert recorded.producer_id is None
    with pytest.raises(PermissionDenied), database.write() as s:
        declare_error(s, ledger, scenario.producer_key, recorded.event_id, "incorrect_data")
    document = json.loads(recorded.document)
    declaration = {"declarationTime": "2026-11-07T09:00:00+07:00", "reason": "incorrect_data"}
    with pytest.raises(EventsRejected) as refused, database.write() as s:
        record_epcis_events(
            s, ledger, scenario.producer_key, [{**document, "errorDeclaration": declaration}]
        )
    assert refused.value.errors[0].code == "FORBIDDEN"
    with database.write() as s:
        declare_error(s, ledger, admin, recorded.event_id, "incorrect_data")
    with database.read_sessions() as s:
        assert s.get(Event, recorded.id).error_declared_seq is not None  # type: ignore[union-attr]
