"""The objects every write door of the authorisation matrix acts on, and each door's input
(``INPUTS``): the scenario's producer ("own") and another producer with one of each object
("other's"), as ``test_authorisation_matrix.py``'s ``world`` fixture builds them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import select
from support.scenario import VN, Scenario

from ledger.signing import Signer
from traceapp.accounts.office import suspend_producer
from traceapp.auth.services import create_token
from traceapp.batches.models import Item
from traceapp.batches.services import BatchInput, create_batch, issue_items
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput
from traceapp.events.epc import item_epc
from traceapp.events.models import Event
from traceapp.events.services import record_event
from traceapp.keys.services import register_key
from traceapp.ledger_store.service import WriteRequest
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.services import LocationInput, register_location
from traceapp.producers.services import ProducerInput, producer_key, register_producer
from traceapp.products.models import Product
from traceapp.products.services import CertificationInput, ProductInput, grant_certification
from traceapp.products.services import register_product as register_product_service

from .conftest import global_id


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

    def fresh(self, *, suspended: bool = False) -> str:
        """A producer of its own (suspended when asked), for the office's producer writes."""
        with self.database.write() as s:
            producer = register_producer(
                s,
                self.ledger,
                self.admin,
                ProducerInput(
                    kind="cooperative",
                    name=f"Hợp tác xã số {next(self.numbers)}",
                    province="Quảng Nam",
                    address_recorded_on="2024-05-01",
                ),
                custodial_key=False,
            ).public_ids[0]
            if suspended:
                suspend_producer(s, self.ledger, WriteRequest(self.admin), producer, "Kiểm tra")
        return producer

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


def epcis_document(world: World, target: Objects) -> dict[str, Any]:
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
    # A producer of its own, so suspending it stops no other row's writes.
    "updateProducer": (
        "UpdateProducerInput",
        lambda w, t: {
            "producer": global_id("Producer", w.fresh()),
            "name": f"Hợp tác xã Chè số {next(w.numbers)}",
            "address": {"province": "Thành phố Đà Nẵng", "recordedOn": "2025-07-01"},
        },
    ),
    "suspendProducer": (
        "SuspendProducerInput",
        lambda w, t: {"producer": global_id("Producer", w.fresh()), "reason": "Kiểm tra hồ sơ"},
    ),
    "resumeProducer": (
        "ResumeProducerInput",
        lambda w, t: {"producer": global_id("Producer", w.fresh(suspended=True))},
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
        lambda w, t: {"document": epcis_document(w, t)},
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


def build_world(database: Database, ledger: Ledger, admin: str, scenario: Scenario) -> World:
    """The scenario's producer (own) and another producer with one of each object."""
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
