"""Loading what a Digital Link identifies, and the ledger entries behind what is shown."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch, Item
from traceapp.db.statements import unindexed
from traceapp.errors import NotFound
from traceapp.events.models import Event, EventEpc
from traceapp.gs1.digital_link import DigitalLink
from traceapp.locations.models import Location
from traceapp.locations.services import GLN_URI, LOCATION_URN
from traceapp.producers.models import Producer
from traceapp.products.models import Certification, Product
from traceapp.recalls.models import Recall, RecallBatch

_GLN_PREFIX = GLN_URI.split("{", 1)[0]
_URN_PREFIX = LOCATION_URN.split("{", 1)[0]


class CodeNotFound(NotFound):
    """The code is well formed but names no product, batch or item of ours."""


@dataclass
class Loaded:
    link: DigitalLink
    product: Product
    producer: Producer
    certifications: list[Certification]
    batch: Batch | None = None
    item: Item | None = None
    events: list[Event] = field(default_factory=list)
    documents: dict[int, dict[str, Any]] = field(default_factory=dict)
    places: dict[str, Location] = field(default_factory=dict)
    origin: Location | None = None
    recalls: list[Recall] = field(default_factory=list)
    inputs: list[Loaded] = field(default_factory=list)
    """The input batches of a processed product, each loaded as its own code (``upstream``)."""
    more_inputs: int = 0
    """Input batches left out of ``inputs`` (``upstream.MAX_INPUTS``)."""


def load(session: Session, link: DigitalLink) -> Loaded:
    """Everything the page needs, in a fixed, small number of queries; CodeNotFound if unknown."""
    row = session.execute(
        select(Product, Producer)
        .join(Producer, Producer.id == Product.producer_id)
        .where(Product.gtin == link.gtin)
    ).first()
    if row is None:
        raise CodeNotFound("no product has this GTIN", field="gtin")
    product, producer = row
    certifications = list(
        session.execute(
            select(Certification)
            .where(Certification.product_id == product.id)
            .order_by(Certification.ledger_seq)
        ).scalars()
    )
    loaded = Loaded(link, product, producer, certifications)
    loaded.batch, loaded.item, loaded.origin = _batch_and_item(session, product, link)
    if loaded.batch is None:
        return loaded
    loaded.events = _events(session, loaded.batch, loaded.item)
    loaded.documents = {e.ledger_seq: json.loads(e.document) for e in loaded.events}
    loaded.places = places_of(session, [loaded])
    loaded.recalls = list(
        session.execute(
            select(Recall)
            .join(RecallBatch, RecallBatch.recall_id == Recall.id)
            .where(RecallBatch.batch_id == loaded.batch.id)
            .order_by(Recall.ledger_seq)
        ).scalars()
    )
    return loaded


def _batch_and_item(
    session: Session, product: Product, link: DigitalLink
) -> tuple[Batch | None, Item | None, Location | None]:
    """The batch, the item and the batch's origin location, in one query."""
    origin = Location.id == Batch.origin_location_id
    if link.serial is not None:
        query = (
            select(Item, Batch, Location)
            .join(Batch, Item.batch_id == Batch.id)
            .outerjoin(Location, origin)
            .where(unindexed(Batch.product_id) == product.id, Item.serial == link.serial)
        )
        if link.lot is not None:
            query = query.where(Batch.lot == link.lot)
        row = session.execute(query.order_by(Item.id).limit(1)).first()
        if row is None:
            raise CodeNotFound("no item has this serial number", field="serial")
        return row[1], row[0], row[2]
    if link.lot is not None:
        found = session.execute(
            select(Batch, Location)
            .outerjoin(Location, origin)
            .where(Batch.product_id == product.id, Batch.lot == link.lot)
        ).first()
        if found is None:
            raise CodeNotFound("this product has no lot with this code", field="lot")
        return found[0], None, found[1]
    return None, None, None


def _events(session: Session, batch: Batch, item: Item | None) -> list[Event]:
    """The batch's events (harvest and processing are recorded per lot), plus the item's own,
    or, for a batch page, those of all its items."""
    if item is not None:
        items = EventEpc.item_id == item.id
    else:
        items = EventEpc.item_id.in_(select(Item.id).where(Item.batch_id == batch.id))
    seqs = select(EventEpc.event_seq).where(or_(EventEpc.batch_id == batch.id, items))
    return list(
        session.execute(
            select(Event).where(Event.ledger_seq.in_(seqs)).order_by(Event.event_time, Event.id)
        ).scalars()
    )


def destinations(document: dict[str, Any]) -> list[str]:
    return [d["destination"] for d in document.get("destinationList", []) if "destination" in d]


def places_of(session: Session, codes: list[Loaded]) -> dict[str, Location]:
    """Our locations among the events' URIs: by GLN Digital Link or by our URN."""
    uris: set[str] = set()
    for loaded in codes:
        for event in loaded.events:
            uris.update(u for u in (event.read_point, event.biz_location) if u)
            uris.update(destinations(loaded.documents[event.ledger_seq]))
    glns = {u[len(_GLN_PREFIX) :]: u for u in uris if u.startswith(_GLN_PREFIX)}
    ids = {u[len(_URN_PREFIX) :]: u for u in uris if u.startswith(_URN_PREFIX)}
    if not glns and not ids:
        return {}
    rows = session.execute(
        select(Location).where(or_(Location.gln.in_(glns), Location.public_id.in_(ids)))
    ).scalars()
    places = {}
    for location in rows:
        if location.gln in glns:
            places[glns[location.gln]] = location
        if location.public_id in ids:
            places[ids[location.public_id]] = location
    return places


def shown_locations(loaded: Loaded) -> list[Location]:
    """The places the code shows: its batch's origin and its journey's places, once each."""
    found = {} if loaded.origin is None else {loaded.origin.id: loaded.origin}
    for location in loaded.places.values():
        found.setdefault(location.id, location)
    return list(found.values())


def shown_entries(loaded: Loaded) -> dict[int, str]:
    """Ledger index -> what it backs on the page: every entry whose content is shown."""
    subjects = {
        loaded.producer.ledger_seq: "producer",
        loaded.product.ledger_seq: "product",
    }
    if loaded.product.updated_seq != loaded.product.ledger_seq:
        subjects[loaded.product.updated_seq] = "product_update"
    if loaded.producer.updated_seq != loaded.producer.ledger_seq:
        subjects[loaded.producer.updated_seq] = "producer_update"
    if loaded.product.photo_seq is not None:
        subjects[loaded.product.photo_seq] = "product_photo"
    if loaded.producer.logo_seq is not None:
        subjects[loaded.producer.logo_seq] = "producer_logo"
    if loaded.producer.suspended_seq is not None:
        subjects[loaded.producer.suspended_seq] = "producer_suspended"
    for cert in loaded.certifications:
        subjects[cert.ledger_seq] = "certification"
        if cert.revoked_seq is not None:
            subjects[cert.revoked_seq] = "certification_revoked"
    if loaded.batch is not None:
        subjects[loaded.batch.ledger_seq] = "batch"
    if loaded.origin is not None:
        subjects.setdefault(loaded.origin.ledger_seq, "location")
    if loaded.item is not None:
        subjects[loaded.item.issued_seq] = "items_issued"
        subjects.setdefault(loaded.item.status_seq, "item_status")
    for event in loaded.events:
        subjects[event.ledger_seq] = "event"
        if event.error_declared_seq is not None:
            subjects[event.error_declared_seq] = "event_correction"
    for location in loaded.places.values():
        subjects.setdefault(location.ledger_seq, "location")
    for location in shown_locations(loaded):
        if location.updated_seq != location.ledger_seq:
            subjects.setdefault(location.updated_seq, "location_update")
    for recall in loaded.recalls:
        subjects[recall.ledger_seq] = "recall"
    return subjects
