"""Recording EPCIS 2.0 events (CBV 2.0 vocabulary), error declarations and corrections."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.batches.models import Batch, Item
from traceapp.batches.services import batch_producer
from traceapp.events.epc import batch_epc_class, item_epc
from traceapp.events.models import EVENT_TYPES, Event
from traceapp.ledger_store.errors import AlreadyExists, NotFound, ValidationFailed
from traceapp.ledger_store.ids import IdSource
from traceapp.ledger_store.service import Receipt, perform
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.locations.models import Location
from traceapp.locations.services import location_uri
from traceapp.producers.services import require_producer_actor
from traceapp.products.models import Product

CBV = "https://ref.gs1.org/cbv/"
ACTIONS = ("ADD", "OBSERVE", "DELETE")
MAX_EVENTS_PER_REQUEST = 10_000
_OFFSET = re.compile(r"^[+-](0\d|1[0-4]):[0-5]\d$")


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


def format_event_time(moment: datetime) -> tuple[str, str]:
    """EPCIS eventTime (UTC, milliseconds) and eventTimeZoneOffset of the original clock."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValidationFailed("must include a time zone", field="eventTime")
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    zone = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z", zone


def _cbv(kind: str, value: str | None, field_name: str) -> str | None:
    if value is None:
        return None
    value = v.required_text(value, field_name, max_length=200)
    if ":" in value:  # a full URI: CBV or a user extension, kept as given
        return value
    if not re.fullmatch(r"[a-z_]+", value):
        raise ValidationFailed("must be a CBV short name or a URI", field=field_name)
    return f"{CBV}{kind}-{value}"


class _Resolver:
    """Turns our public IDs into EPCs and URIs, checking that the actor may use them."""

    def __init__(self, session: Session, ledger: Ledger, actor: str) -> None:
        self.session, self.ledger, self.actor = session, ledger, actor
        self.producers: set[str] = set()

    def item(self, public_id: str, field_name: str) -> str:
        row = self.session.execute(
            select(Item.serial, Product.gtin, Batch.id)
            .join(Batch, Item.batch_id == Batch.id)
            .join(Product, Batch.product_id == Product.id)
            .where(Item.public_id == public_id)
        ).first()
        if row is None:
            raise NotFound(f"no item {public_id}", field=field_name)
        self._producer_of(row[2])
        return item_epc(row[1], row[0])

    def quantity(self, q: Quantity, field_name: str) -> dict[str, Any]:
        batch = self.session.execute(
            select(Batch).where(Batch.public_id == q.batch)
        ).scalar_one_or_none()
        if batch is None:
            raise NotFound(f"no batch {q.batch}", field=field_name)
        self._producer_of(batch.id)
        product = self.session.get(Product, batch.product_id)
        assert product is not None
        out: dict[str, Any] = {"epcClass": batch_epc_class(product.gtin, batch.lot)}
        if q.quantity is not None:
            if q.quantity < 0:
                raise ValidationFailed("must not be negative", field=field_name)
            out["quantity"] = q.quantity
            if q.uom:
                out["uom"] = v.required_text(q.uom, field_name, max_length=3)
        return out

    def location(self, value: str, field_name: str) -> str:
        if ":" in value:
            return v.required_text(value, field_name, max_length=300)
        location = self.session.execute(
            select(Location).where(Location.public_id == value)
        ).scalar_one_or_none()
        if location is None:
            raise NotFound(f"no location {value}", field=field_name)
        return location_uri(location)

    def _producer_of(self, batch_pk: int) -> None:
        batch = self.session.get(Batch, batch_pk)
        assert batch is not None
        producer = batch_producer(self.session, batch)
        if producer not in self.producers:
            require_producer_actor(self.session, self.ledger, self.actor, producer)
            self.producers.add(producer)


def build_epcis_event(resolver: _Resolver, data: EventInput) -> dict[str, Any]:
    kind = v.choice(data.type, "type", EVENT_TYPES)
    event_time, zone = format_event_time(data.event_time)
    event: dict[str, Any] = {
        "type": kind,
        "eventTime": event_time,
        "eventTimeZoneOffset": zone,
    }
    if kind != "TransformationEvent":
        event["action"] = v.choice(data.action or "", "action", ACTIONS)
    if kind in ("AggregationEvent", "AssociationEvent"):
        if data.parent is None:
            raise ValidationFailed("is required for this event type", field="parent")
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
            raise ValidationFailed("a transformation has inputs and outputs", field="inputItems")
    else:
        epcs = [resolver.item(i, f"items.{n}") for n, i in enumerate(data.items)]
        quantities = [
            resolver.quantity(q, f"quantities.{n}") for n, q in enumerate(data.quantities)
        ]
        if not epcs and not quantities:
            raise ValidationFailed("name at least one item or batch quantity", field="items")
        event["epcList"] = epcs
        if quantities:
            event["quantityList"] = quantities
    if data.biz_step:
        event["bizStep"] = _cbv("BizStep", data.biz_step, "bizStep")
    if data.disposition:
        event["disposition"] = _cbv("Disp", data.disposition, "disposition")
    if data.read_point:
        event["readPoint"] = {"id": resolver.location(data.read_point, "readPoint")}
    if data.biz_location:
        event["bizLocation"] = {"id": resolver.location(data.biz_location, "bizLocation")}
    if data.biz_transactions:
        event["bizTransactionList"] = [
            {"type": _cbv("BTT", t, "bizTransactions"), "bizTransaction": value}
            for t, value in data.biz_transactions
        ]
    for key, entries, label in (
        ("sourceList", data.sources, "sources"),
        ("destinationList", data.destinations, "destinations"),
    ):
        if entries:
            event[key] = [
                {
                    "type": _cbv("SDT", e.type, f"{label}.{n}.type"),
                    key[:-4]: resolver.location(e.location, f"{label}.{n}.location"),
                }
                for n, e in enumerate(entries)
            ]
    if data.sensor_reports:
        event["sensorElementList"] = [{"sensorReport": list(data.sensor_reports)}]
    if data.certification_info:
        event["certificationInfo"] = data.certification_info
    return event


def check_epcis_event(event: dict[str, Any], index: int) -> dict[str, Any]:
    """Minimal structural checks of an event dict; the full GS1 schema runs on documents."""
    where = f"events.{index}"
    if not isinstance(event, dict):
        raise ValidationFailed("must be an object", field=where)
    if event.get("type") not in EVENT_TYPES:
        raise ValidationFailed(
            f"type must be one of {', '.join(EVENT_TYPES)}", field=f"{where}.type"
        )
    time = event.get("eventTime")
    zone = event.get("eventTimeZoneOffset")
    if not isinstance(zone, str) or not _OFFSET.match(zone):
        raise ValidationFailed("must be ±HH:MM", field=f"{where}.eventTimeZoneOffset")
    try:
        parsed = datetime.fromisoformat(str(time).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            "must be an RFC 3339 date-time", field=f"{where}.eventTime"
        ) from None
    if parsed.tzinfo is None:
        raise ValidationFailed("must include a time zone", field=f"{where}.eventTime")
    return event


def _with_event_id(event: dict[str, Any], index: int) -> dict[str, Any]:
    from traceapp.epcis.errors import EpcisError
    from traceapp.epcis.event_hash import check_event_id, event_hash

    try:
        if "eventID" in event:
            check_event_id(event)
            return event
        return {**event, "eventID": event_hash(event)}
    except EpcisError as exc:
        raise ValidationFailed(str(exc), field=f"events.{index}.eventID") from None


def _drafts_for(
    session: Session, ids: IdSource, producer: str | None, events: Sequence[dict[str, Any]]
) -> list[Draft]:
    """One ``event.recorded`` per new eventID; already recorded events append nothing."""
    with_ids = [_with_event_id(check_epcis_event(e, n), n) for n, e in enumerate(events)]
    wanted = [e["eventID"] for e in with_ids]
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        known.update(
            session.execute(select(Event.event_id).where(Event.event_id.in_(chunk))).scalars()
        )
    drafts = []
    for event in with_ids:
        if event["eventID"] in known:
            continue
        known.add(event["eventID"])
        drafts.append(
            Draft(
                "event.recorded",
                {"id": ids.public_id("evt"), "producer": producer, "event": event},
            )
        )
    return drafts


def actor_producer(session: Session, ledger: Ledger, actor: str) -> str | None:
    return ledger.role_of(session, actor).producer_public_id


def record_event(
    session: Session,
    ledger: Ledger,
    actor: str,
    data: EventInput,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    def build(ids: IdSource) -> Sequence[Draft]:
        event = build_epcis_event(_Resolver(session, ledger, actor), data)
        drafts = _drafts_for(session, ids, actor_producer(session, ledger, actor), [event])
        if not drafts:
            raise AlreadyExists("this event is already recorded", field="event")
        return drafts

    return perform(
        session,
        ledger,
        actor,
        build,
        request={"op": "record_event", **data.__dict__},
        idempotency_key=idempotency_key,
        signature=signature,
    )


def record_events(
    session: Session,
    ledger: Ledger,
    actor: str,
    events: Sequence[EventInput],
    *,
    idempotency_key: str | None = None,
) -> Receipt | None:
    """Bulk: thousands of events in one transaction. None when every event was known."""
    if not 1 <= len(events) <= MAX_EVENTS_PER_REQUEST:
        raise ValidationFailed(f"send 1 to {MAX_EVENTS_PER_REQUEST} events", field="events")
    resolver = _Resolver(session, ledger, actor)
    documents = [build_epcis_event(resolver, e) for e in events]
    return record_epcis_events(session, ledger, actor, documents, idempotency_key=idempotency_key)


def record_epcis_events(
    session: Session,
    ledger: Ledger,
    actor: str,
    events: Sequence[dict[str, Any]],
    *,
    idempotency_key: str | None = None,
) -> Receipt | None:
    """Record EPCIS 2.0 event objects as given (capture, import). Known eventIDs are skipped."""
    producer = actor_producer(session, ledger, actor)
    drafts_cache: list[Draft] = []

    def build(ids: IdSource) -> Sequence[Draft]:
        drafts_cache.extend(_drafts_for(session, ids, producer, events))
        if not drafts_cache:
            raise _NothingNew
        return drafts_cache

    try:
        return perform(
            session,
            ledger,
            actor,
            build,
            request={"op": "record_epcis_events", "events": list(events)},
            idempotency_key=idempotency_key,
        )
    except _NothingNew:
        return None


class _NothingNew(Exception):
    pass


def declare_error(
    session: Session,
    ledger: Ledger,
    actor: str,
    event_id: str,
    reason: str,
    corrective: Sequence[EventInput] = (),
    *,
    declared_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> Receipt:
    """EPCIS errorDeclaration: the old event stays; a new statement retracts it, and the
    corrective events are recorded with ``correctiveEventIDs`` pointing to them."""

    def build(ids: IdSource) -> Sequence[Draft]:
        old = session.execute(select(Event).where(Event.event_id == event_id)).scalar_one_or_none()
        if old is None:
            raise NotFound(f"no event {event_id}", field="eventId")
        if old.error_declared_seq is not None:
            raise AlreadyExists("an error was already declared for this event", field="eventId")
        producer = actor_producer(session, ledger, actor)
        role = ledger.role_of(session, actor).role
        if role != "admin" and old.producer_id is not None:
            from traceapp.producers.models import Producer

            owner = session.get(Producer, old.producer_id)
            if owner is None or owner.public_id != producer:
                raise ValidationFailed("only the event's producer may correct it", code="FORBIDDEN")
        resolver = _Resolver(session, ledger, actor)
        fixes = _drafts_for(
            session, ids, producer, [build_epcis_event(resolver, e) for e in corrective]
        )
        when, _zone = format_event_time(declared_at or datetime.now(UTC))
        declaration = Draft(
            "event.error_declared",
            {
                "event_id": event_id,
                "declared_at": when,
                "reason": _cbv("ER", v.required_text(reason, "reason", max_length=200), "reason"),
                "corrective_event_ids": [d.statement["event"]["eventID"] for d in fixes],
            },
        )
        return [*fixes, declaration]

    return perform(
        session,
        ledger,
        actor,
        build,
        request={"op": "declare_error", "event": event_id, "reason": reason},
        idempotency_key=idempotency_key,
        ids_of=lambda drafts: [d.statement.get("id", d.statement.get("event_id")) for d in drafts],
    )
