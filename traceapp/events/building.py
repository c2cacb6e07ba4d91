"""Building EPCIS 2.0 events (CBV 2.0 vocabulary) from a producer's input in our terms.

Our public IDs become EPCs (GS1 Digital Links) and location URIs. Who may name which item or
batch is decided by the planner (``events.ownership``), the same for every door; the resolver
only hands it the owners it read on the way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.batches.errors import BatchNotFound, ItemNotFound
from traceapp.batches.models import Batch, Item
from traceapp.db.statements import Prepared, read_together
from traceapp.epcis.schema import EVENT_TYPES
from traceapp.epcis.vocabulary import CBV_URN, upgrade_value
from traceapp.events.epc import batch_epc_class, item_epc
from traceapp.events.errors import EventInvalid
from traceapp.events.vocabulary import check_vocabulary
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.errors import LocationNotFound
from traceapp.locations.models import Location
from traceapp.locations.services import location_uri
from traceapp.producers.models import Producer
from traceapp.products.models import Product

CBV = "https://ref.gs1.org/cbv/"
ACTIONS = ("ADD", "OBSERVE", "DELETE")


@dataclass(frozen=True)
class Quantity:
    batch: str
    quantity: float | None = None
    uom: str | None = None


@dataclass(frozen=True)
class SourceDest:
    type: str  # CBV short name: owning_party, possessing_party, location
    location: str  # our location public ID, or any URI


@dataclass(frozen=True)
class EventInput:
    """A producer's event in our terms; it becomes a standard EPCIS 2.0 event."""

    type: str
    event_time: datetime
    action: str | None = "OBSERVE"
    biz_step: str | None = None
    disposition: str | None = None
    read_point: str | None = None
    biz_location: str | None = None
    items: list[str] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    parent: str | None = None
    input_items: list[str] = field(default_factory=list)
    input_quantities: list[Quantity] = field(default_factory=list)
    output_items: list[str] = field(default_factory=list)
    output_quantities: list[Quantity] = field(default_factory=list)
    sources: list[SourceDest] = field(default_factory=list)
    destinations: list[SourceDest] = field(default_factory=list)
    biz_transactions: list[tuple[str, str]] = field(default_factory=list)
    sensor_reports: list[dict[str, Any]] = field(default_factory=list)
    certification_info: str | None = None


def cbv_uri(kind: str, value: str | None, field_name: str) -> str | None:
    if value is None:
        return None
    value = v.required_text(value, field_name, max_length=200)
    if value.startswith(CBV_URN):  # EPCIS 1.x: the CBV 2.0 URI it names
        return str(upgrade_value(value))
    if ":" in value:  # a full URI: CBV or a user extension, kept as given
        return value
    if not re.fullmatch(r"[a-z_]+", value):
        raise EventInvalid("must be a CBV short name or a URI", field=field_name)
    if kind in _CHECKED_KINDS:
        check_vocabulary(value, _CHECKED_KINDS[kind], field_name)
    return f"{CBV}{kind}-{value}"


# CBV kinds whose short names are checked against the CBV 2.0 lists (events.vocabulary).
_CHECKED_KINDS = {"BizStep": "bizStep", "Disp": "disposition"}


# One query from an item to its EPC parts and its producer; built once (Core, no ORM layer).
_ITEMS, _BATCHES = Item.__table__, Batch.__table__
_PRODUCTS, _PRODUCERS = Product.__table__, Producer.__table__
_ITEM_EPC = Prepared(
    select(
        _ITEMS.c.id,
        _ITEMS.c.serial,
        _PRODUCTS.c.gtin,
        _PRODUCERS.c.public_id.label("producer"),
        _PRODUCERS.c.id.label("producer_id"),
    )
    .select_from(
        _ITEMS.join(_BATCHES, _ITEMS.c.batch_id == _BATCHES.c.id)
        .join(_PRODUCTS, _BATCHES.c.product_id == _PRODUCTS.c.id)
        .join(_PRODUCERS, _PRODUCTS.c.producer_id == _PRODUCERS.c.id)
    )
    .where(_ITEMS.c.public_id == bindparam("public_id"))
)
_LOCATIONS = Location.__table__
_LOCATION = Prepared(
    select(_LOCATIONS.c.public_id, _LOCATIONS.c.gln).where(
        _LOCATIONS.c.public_id == bindparam("public_id")
    )
)


class Resolver:
    """Turns our public IDs into EPCs and URIs, checking that the actor may use them."""

    def __init__(self, session: Session, ledger: Ledger, actor: str) -> None:
        self.session, self.ledger, self.actor = session, ledger, actor
        # A bulk append names the same items, batches and places over and over.
        self.owners: dict[str, str] = {}  # GTIN -> producer public ID, for the planner
        self.items: dict[str, str] = {}
        self.batches: dict[str, str] = {}
        self.locations: dict[str, str] = {}
        self._read: dict[tuple[Prepared, str], Any] = {}  # (statement, public ID) -> row | None

    def prefetch(self, events: Sequence[EventInput]) -> None:
        """Read the items and places the events name, and the actor's key, all at once: one
        round trip on PostgreSQL. Missing ones are refused later, where each is named."""
        items = {i for e in events for i in (*e.items, *e.input_items, *e.output_items)}
        items.update(e.parent for e in events if e.parent is not None and ":" not in e.parent)
        places = {
            place
            for e in events
            for place in (
                e.read_point,
                e.biz_location,
                *(s.location for s in (*e.sources, *e.destinations)),
            )
            if place is not None and ":" not in place
        }
        wanted = [(_ITEM_EPC, i) for i in sorted(items - self.items.keys())]
        wanted += [(_LOCATION, p) for p in sorted(places - self.locations.keys())]
        reads = [(statement, {"public_id": public_id}) for statement, public_id in wanted]
        key = self.ledger.key_read(self.session, self.actor)
        rows = read_together(self.session, reads + ([key] if key else []))
        if key:
            self.ledger.remember_key(self.session, rows.pop())
        for found, rows_of in zip(wanted, rows, strict=True):
            self._read[found] = rows_of[0] if rows_of else None

    def _row(self, statement: Prepared, public_id: str) -> Any:
        if (statement, public_id) in self._read:
            return self._read.pop((statement, public_id))
        return statement.first(self.session, {"public_id": public_id})

    def item(self, public_id: str, field_name: str) -> str:
        if public_id in self.items:
            return self.items[public_id]
        row = self._row(_ITEM_EPC, public_id)
        if row is None:
            raise ItemNotFound(f"no item {public_id}", field=field_name)
        self.owners[row.gtin] = row.producer
        epc = item_epc(row.gtin, row.serial)
        self.items[public_id] = epc
        return epc

    def quantity(self, q: Quantity, field_name: str) -> dict[str, Any]:
        if q.batch not in self.batches:
            row = self.session.execute(
                select(Batch.lot, Product.gtin, Producer.public_id)
                .join(Product, Batch.product_id == Product.id)
                .join(Producer, Product.producer_id == Producer.id)
                .where(Batch.public_id == q.batch)
            ).first()
            if row is None:
                raise BatchNotFound(f"no batch {q.batch}", field=field_name)
            self.owners[row[1]] = row[2]
            self.batches[q.batch] = batch_epc_class(row[1], row[0])
        out: dict[str, Any] = {"epcClass": self.batches[q.batch]}
        if q.quantity is not None:
            if q.quantity < 0:
                raise EventInvalid("must not be negative", field=field_name)
            out["quantity"] = q.quantity
            if q.uom:
                out["uom"] = v.required_text(q.uom, field_name, max_length=3)
        return out

    def location(self, value: str, field_name: str) -> str:
        if ":" in value:
            return v.required_text(value, field_name, max_length=300)
        if value not in self.locations:
            row = self._row(_LOCATION, value)
            if row is None:
                raise LocationNotFound(f"no location {value}", field=field_name)
            self.locations[value] = location_uri(row)
        return self.locations[value]


def build_epcis_event(resolver: Resolver, data: EventInput) -> dict[str, Any]:
    kind = v.choice(data.type, "type", EVENT_TYPES)
    event_time, zone = v.format_event_time(data.event_time)
    event: dict[str, Any] = {
        "type": kind,
        "eventTime": event_time,
        "eventTimeZoneOffset": zone,
    }
    if kind != "TransformationEvent":
        event["action"] = v.choice(data.action or "", "action", ACTIONS)
    if kind in ("AggregationEvent", "AssociationEvent"):
        if data.parent is None:
            raise EventInvalid("is required for this event type", field="parent")
        event["parentID"] = (
            resolver.location(data.parent, "parent")
            if ":" in data.parent
            else (resolver.item(data.parent, "parent"))
        )
        children = [resolver.item(i, f"items.{n}") for n, i in enumerate(data.items)]
        if children:
            event["childEPCs"] = children
        quantities = [
            resolver.quantity(q, f"quantities.{n}") for n, q in enumerate(data.quantities)
        ]
        if quantities:
            event["childQuantityList"] = quantities
    elif kind == "TransformationEvent":
        for key, ids, label in (
            ("inputEPCList", data.input_items, "inputItems"),
            ("outputEPCList", data.output_items, "outputItems"),
        ):
            if ids:
                event[key] = [resolver.item(i, f"{label}.{n}") for n, i in enumerate(ids)]
        for key, qs, label in (
            ("inputQuantityList", data.input_quantities, "inputQuantities"),
            ("outputQuantityList", data.output_quantities, "outputQuantities"),
        ):
            if qs:
                event[key] = [resolver.quantity(q, f"{label}.{n}") for n, q in enumerate(qs)]
        if not any(k in event for k in ("inputEPCList", "inputQuantityList")) or not any(
            k in event for k in ("outputEPCList", "outputQuantityList")
        ):
            raise EventInvalid("a transformation has inputs and outputs", field="inputItems")
    else:
        epcs = [resolver.item(i, f"items.{n}") for n, i in enumerate(data.items)]
        quantities = [
            resolver.quantity(q, f"quantities.{n}") for n, q in enumerate(data.quantities)
        ]
        if not epcs and not quantities:
            raise EventInvalid("name at least one item or batch quantity", field="items")
        event["epcList"] = epcs
        if quantities:
            event["quantityList"] = quantities
    if data.biz_step:
        event["bizStep"] = cbv_uri("BizStep", data.biz_step, "bizStep")
    if data.disposition:
        event["disposition"] = cbv_uri("Disp", data.disposition, "disposition")
    if data.read_point:
        event["readPoint"] = {"id": resolver.location(data.read_point, "readPoint")}
    if data.biz_location:
        event["bizLocation"] = {"id": resolver.location(data.biz_location, "bizLocation")}
    if data.biz_transactions:
        event["bizTransactionList"] = [
            {"type": cbv_uri("BTT", t, "bizTransactions"), "bizTransaction": value}
            for t, value in data.biz_transactions
        ]
    for key, entries, label in (
        ("sourceList", data.sources, "sources"),
        ("destinationList", data.destinations, "destinations"),
    ):
        if entries:
            event[key] = [
                {
                    "type": cbv_uri("SDT", e.type, f"{label}.{n}.type"),
                    key[:-4]: resolver.location(e.location, f"{label}.{n}.location"),
                }
                for n, e in enumerate(entries)
            ]
    if data.sensor_reports:
        event["sensorElementList"] = [{"sensorReport": list(data.sensor_reports)}]
    if data.certification_info:
        event["certificationInfo"] = data.certification_info
    return event
