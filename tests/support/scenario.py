"""A tea cooperative in Lào Cai, built through the real services: the shared test scenario."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from traceapp.batches.services import BatchInput, issue_items
from traceapp.batches.services import create_batch as create_batch_service
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput, Quantity, SourceDest
from traceapp.events.services import record_event
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.services import LocationInput, register_location
from traceapp.producers.services import ProducerInput, producer_key, register_producer
from traceapp.products.services import (
    CertificationInput,
    ProductInput,
    grant_certification,
    register_product,
)

VN = timezone(timedelta(hours=7))


@dataclass
class Scenario:
    producer: str
    producer_key: str
    product: str
    certification: str
    farm: str
    shop: str
    batch: str
    items: list[str]
    pins: dict[str, str]


def build_scenario(database: Database, ledger: Ledger, admin: str) -> Scenario:
    """A tea cooperative in Lào Cai: a 4-star OCOP product, a harvested, packed, shipped lot."""
    with database.write() as s:
        producer = register_producer(
            s,
            ledger,
            admin,
            ProducerInput(
                kind="cooperative",
                name="Hợp tác xã Chè Shan Tuyết Bản Mế",
                province="Lào Cai",
                commune="Xã Bản Mế",
                street="Thôn Na Pá",
                address_recorded_on=date(2025, 7, 1),
                tax_code="5300123456",
                personal={"phone": "0912345678", "owner_name": "Nguyễn Văn Hùng"},
            ),
        ).public_ids[0]
    with database.write() as s:
        key = producer_key(s, producer)
        product = register_product(
            s,
            ledger,
            key,
            ProductInput(
                producer=producer,
                gtin="8938505974019",
                name_vi="Trà Shan tuyết Cổ thụ",
                name_en="Ancient Shan Tuyet tea",
                group="drinks",
                standards=["TCVN 12850:2019", "VietGAP"],
            ),
        ).public_ids[0]
        cert = grant_certification(
            s,
            ledger,
            admin,
            CertificationInput(
                product=product,
                scheme="OCOP",
                stars=4,
                issuer="UBND tỉnh Lào Cai",
                issuer_level="province",
                decision_number="1234/QĐ-UBND",
                issued_on=date(2025, 3, 15),
            ),
        ).public_ids[0]
        farm = register_location(
            s, ledger, key, LocationInput(producer, "FARM-1", "Đồi chè Na Pá", "farm")
        ).public_ids[0]
        shop = register_location(
            s, ledger, key, LocationInput(producer, "SHOP-1", "Cửa hàng OCOP Sa Pa", "shop")
        ).public_ids[0]
        batch = create_batch_service(
            s,
            ledger,
            key,
            BatchInput(
                product=product,
                lot="L2026-11A",
                production_date=date(2026, 11, 2),
                expiry_date=date(2028, 11, 2),
                quantity="120.5",
                unit="kg",
                origin_location=farm,
            ),
        ).public_ids[0]
        issued = issue_items(s, ledger, key, batch, 5, with_pins=True)
        items = issued.receipt.public_ids
        t0 = datetime(2026, 11, 2, 6, 30, tzinfo=VN)
        for step, when, extra in (
            ("harvesting", t0, {"quantities": [Quantity(batch, 120.5, "KGM")], "items": []}),
            ("packing", t0 + timedelta(days=1), {"items": items}),
            (
                "shipping",
                t0 + timedelta(days=2),
                {"items": items, "destinations": [SourceDest("location", shop)]},
            ),
        ):
            record_event(
                s,
                ledger,
                key,
                EventInput(
                    type="ObjectEvent",
                    event_time=when,
                    action="OBSERVE",
                    biz_step=step,
                    read_point=farm,
                    **extra,  # type: ignore[arg-type]
                ),
            )
    return Scenario(producer, key, product, cert, farm, shop, batch, items, issued.pins)
