"""Load the demo through the real services, idempotently.

Every write carries an idempotency key derived from what it makes ("demo:<gtin>:batch:<lot>"),
so a second run replays each one and appends nothing; a run cut short resumes where it
stopped. Each product's writes commit together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch, Item
from traceapp.batches.services import BatchInput, create_batch, issue_items
from traceapp.db.sessions import Database
from traceapp.demo.data import SampleProduct, demo_gtin, load_samples
from traceapp.demo.journeys import (
    JOURNEYS,
    RAW_PRODUCT_NAME,
    RAW_PRODUCT_REFERENCE,
    Journey,
    Lot,
    Step,
)
from traceapp.demo.photos import card
from traceapp.events.building import EventInput, Quantity, SourceDest
from traceapp.events.models import Event
from traceapp.events.services import declare_error, record_event
from traceapp.gs1.digital_link import DigitalLink, format_uri
from traceapp.ledger_store.service import Receipt
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.services import LocationInput, register_location
from traceapp.media.images import store_photo
from traceapp.media.store import MediaStore
from traceapp.producers.logos import set_producer_logo
from traceapp.producers.services import ProducerInput, producer_key, register_producer
from traceapp.products.models import Product
from traceapp.products.photos import set_product_photo
from traceapp.products.services import (
    CertificationInput,
    ProductInput,
    grant_certification,
    register_product,
)
from traceapp.recalls.services import RecallInput, issue_recall

ADDRESS_RECORDED_ON = date(2025, 6, 30)


@dataclass(frozen=True)
class SampleItem:
    role: str
    product: str
    uri: str
    pin: str | None


@dataclass
class DemoResult:
    appended: int = 0
    producers: int = 0
    products: int = 0
    samples: list[SampleItem] = field(default_factory=list)


@dataclass
class _Ids:
    """Public IDs made (or replayed) so far, by what the demo calls them."""

    producers: dict[str, str] = field(default_factory=dict)  # producer name -> public id
    products: dict[int, str] = field(default_factory=dict)  # CSV row -> public id


class DemoLoader:
    def __init__(
        self,
        database: Database,
        ledger: Ledger,
        admin: str,
        public_url: str,
        media: MediaStore | None = None,
    ) -> None:
        self.database, self.ledger, self.admin = database, ledger, admin
        self.public_url = public_url
        self.media = media
        self.result = DemoResult()
        self.ids = _Ids()

    def _count(self, receipt: Receipt) -> Receipt:
        if not receipt.replayed:
            self.result.appended += receipt.entry_count
        return receipt

    def run(self) -> DemoResult:
        samples = load_samples()
        for sample in samples:
            self._catalogue(sample)
        by_index = {s.index: s for s in samples}
        for journey in JOURNEYS:
            self._journey(journey, by_index[journey.sample])
            if self.media is not None:
                self._photos(self.media, by_index[journey.sample])
        self.result.producers = len(self.ids.producers)
        self.result.products = len(self.ids.products)
        return self.result

    # -- catalogue: producers, products, certificates -------------------------------------

    def _catalogue(self, sample: SampleProduct) -> None:
        with self.database.write() as s:
            producer = self.ids.producers.get(sample.producer_name)
            if producer is None:
                producer = self._count(
                    register_producer(
                        s,
                        self.ledger,
                        self.admin,
                        ProducerInput(
                            kind=sample.producer_kind,
                            name=sample.producer_name,
                            province=sample.province,
                            commune=sample.locality,
                            address_recorded_on=ADDRESS_RECORDED_ON,
                        ),
                        idempotency_key=f"demo:producer:{sample.index}",
                    )
                ).public_ids[0]
                self.ids.producers[sample.producer_name] = producer
            key = producer_key(s, producer)
            product = self._count(
                register_product(
                    s,
                    self.ledger,
                    key,
                    ProductInput(
                        producer=producer,
                        gtin=sample.gtin,
                        name_vi=sample.name,
                        group=sample.group,
                        description=sample.description,
                    ),
                    idempotency_key=f"demo:{sample.gtin}:product",
                )
            ).public_ids[0]
            self.ids.products[sample.index] = product
            terms = sample.certificate
            if terms is not None:
                self._count(
                    grant_certification(
                        s,
                        self.ledger,
                        self.admin,
                        CertificationInput(
                            product=product,
                            scheme="OCOP",
                            stars=terms.stars,
                            issuer=terms.issuer,
                            issuer_level=terms.issuer_level,
                            decision_number=terms.decision_number,
                            issued_on=terms.issued_on,
                        ),
                        idempotency_key=f"demo:{sample.gtin}:ocop",
                    )
                )

    def _photos(self, media: MediaStore, sample: SampleProduct) -> None:
        """A photo for each product with sample items, and its producer's logo."""
        photo = store_photo(media, card(sample.name, sample.province, sample.group))
        producer = self.ids.producers[sample.producer_name]
        logo = store_photo(media, card(sample.producer_name, "OCOP", sample.group))
        with self.database.write() as s:
            key = producer_key(s, producer)
            product = self.ids.products[sample.index]
            self._count(
                set_product_photo(
                    s, self.ledger, key, product, photo,
                    idempotency_key=f"demo:{sample.gtin}:photo",
                )
            )  # fmt: skip
            self._count(
                set_producer_logo(
                    s, self.ledger, key, producer, logo,
                    idempotency_key=f"demo:{producer}:logo",
                )
            )  # fmt: skip

    # -- journeys: locations, batches, items, events, corrections, recalls ----------------

    def _journey(self, journey: Journey, sample: SampleProduct) -> None:
        producer = self.ids.producers[sample.producer_name]
        product = self.ids.products[sample.index]
        prefix = f"demo:{sample.gtin}"
        with self.database.write() as s:
            key = producer_key(s, producer)
            places = {
                place.code: self._count(
                    register_location(
                        s,
                        self.ledger,
                        key,
                        LocationInput(
                            producer, place.code, place.name, place.kind, province=sample.province
                        ),
                        idempotency_key=f"demo:{producer}:location:{place.code}",
                    )
                ).public_ids[0]
                for place in journey.places
            }
            raw_lots: dict[str, str] = {}
            if journey.raw:
                raw_gtin = demo_gtin(RAW_PRODUCT_REFERENCE)
                raw_product = self._count(
                    register_product(
                        s,
                        self.ledger,
                        key,
                        ProductInput(
                            producer=producer,
                            gtin=raw_gtin,
                            name_vi=RAW_PRODUCT_NAME,
                            group="herbal",
                            description="Nguyên liệu cho sản phẩm OCOP (sản phẩm demo, không có "
                            "trong nguồn).",
                        ),
                        idempotency_key=f"demo:{raw_gtin}:product",
                    )
                ).public_ids[0]
                for lot in journey.raw:
                    raw_lots[lot.lot] = self._batch(s, key, raw_product, lot, places, raw_gtin)
            lot = journey.lot
            batch = self._batch(
                s, key, product, lot, places, sample.gtin, [raw_lots[i] for i in lot.inputs]
            )
            issued = issue_items(
                s,
                self.ledger,
                key,
                batch,
                lot.items,
                with_pins=lot.pins,
                idempotency_key=f"{prefix}:batch:{lot.lot}:items",
            )
            self._count(issued.receipt)
            items = issued.receipt.public_ids
            events = [
                self._event(s, key, step, places, batch, items, raw_lots, f"{prefix}:{lot.lot}:{n}")
                for n, step in enumerate(journey.steps)
            ]
            if journey.correction is not None:
                fix = journey.correction
                wrong = s.execute(
                    select(Event.event_id).where(Event.public_id == events[fix.index])
                ).scalar_one()
                self._count(
                    declare_error(
                        s,
                        self.ledger,
                        key,
                        wrong,
                        fix.reason,
                        [self._event_input(fix.fixed, places, batch, items, raw_lots)],
                        declared_at=fix.fixed.when,
                        idempotency_key=f"{prefix}:{lot.lot}:correction",
                    )
                )
            if journey.recall is not None:
                severity, reason, issued_at = journey.recall
                self._count(
                    issue_recall(
                        s,
                        self.ledger,
                        key,
                        RecallInput([batch], reason, severity, issued_at),
                        idempotency_key=f"{prefix}:{lot.lot}:recall",
                    )
                )
            self.result.samples.append(self._sample(s, journey.role, items[0], issued.pins))

    def _batch(
        self,
        s: Session,
        key: str,
        product: str,
        lot: Lot,
        places: dict[str, str],
        gtin: str,
        inputs: list[str] | None = None,
    ) -> str:
        return self._count(
            create_batch(
                s,
                self.ledger,
                key,
                BatchInput(
                    product=product,
                    lot=lot.lot,
                    production_date=lot.produced,
                    expiry_date=lot.expiry,
                    quantity=lot.quantity,
                    unit=lot.unit,
                    origin_location=places[lot.origin],
                    inputs=inputs or [],
                ),
                idempotency_key=f"demo:{gtin}:batch:{lot.lot}",
            )
        ).public_ids[0]

    def _event_input(
        self,
        step: Step,
        places: dict[str, str],
        batch: str,
        items: list[str],
        raw_lots: dict[str, str],
    ) -> EventInput:
        where = places[step.where]
        sources = [SourceDest("location", places[step.source])] if step.source else []
        destinations = (
            [SourceDest("location", places[step.destination])] if step.destination else []
        )
        common = {
            "event_time": step.when,
            "biz_step": step.biz_step,
            "disposition": step.disposition,
            "read_point": where,
            "biz_location": where,
            "sources": sources,
            "destinations": destinations,
        }
        if step.transformation:
            return EventInput(
                type="TransformationEvent",
                action=None,
                input_quantities=[Quantity(b, None) for b in raw_lots.values()],
                output_items=items,
                **common,  # type: ignore[arg-type]
            )
        if step.what == "lot":
            selection: dict[str, object] = {"quantities": [Quantity(batch)]}
        elif step.what == "raw":
            selection = {"quantities": [Quantity(b) for b in raw_lots.values()]}
        else:
            selection = {"items": items[:1] if step.what == "first_item" else items}
        return EventInput(type="ObjectEvent", action=step.action, **selection, **common)  # type: ignore[arg-type]

    def _event(
        self,
        s: Session,
        key: str,
        step: Step,
        places: dict[str, str],
        batch: str,
        items: list[str],
        raw_lots: dict[str, str],
        idempotency_key: str,
    ) -> str:
        data = self._event_input(step, places, batch, items, raw_lots)
        return self._count(
            record_event(s, self.ledger, key, data, idempotency_key=idempotency_key)
        ).public_ids[0]

    def _sample(self, s: Session, role: str, item_id: str, pins: dict[str, str]) -> SampleItem:
        item, batch, product = s.execute(
            select(Item, Batch, Product)
            .join(Batch, Item.batch_id == Batch.id)
            .join(Product, Batch.product_id == Product.id)
            .where(Item.public_id == item_id)
        ).one()
        link = DigitalLink(product.gtin, batch.lot, item.serial, batch.expiry_date)
        return SampleItem(
            role, product.name_vi, format_uri(self.public_url, link), pins.get(item.serial)
        )
