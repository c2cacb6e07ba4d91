"""Recording EPCIS 2.0 events (CBV 2.0 vocabulary), error declarations and corrections."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ledger.entry import MAX_ENTRY_SIZE
from ledger.errors import FormatError
from ledger.jcs import canonicalize
from traceapp import validation as v
from traceapp.batches.models import Batch, Item
from traceapp.db import Prepared, read_together
from traceapp.epcis.errors import EpcisError
from traceapp.epcis.event_hash import event_hash
from traceapp.events.epc import batch_epc_class, item_epc
from traceapp.events.models import EVENT_TYPES, Event
from traceapp.events.projections import (
    error_reason,
    event_epcs,
    remember_items,
    remember_producers,
)
from traceapp.ledger_store.errors import (
    AlreadyExists,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from traceapp.ledger_store.ids import IdSource
from traceapp.ledger_store.service import Receipt, perform
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.locations.models import Location
from traceapp.locations.services import location_uri
from traceapp.producers.models import Producer
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
    offset = v.moment(moment, "eventTime").utcoffset()
    assert offset is not None
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


class _Resolver:
    """Turns our public IDs into EPCs and URIs, checking that the actor may use them."""

    def __init__(self, session: Session, ledger: Ledger, actor: str) -> None:
        self.session, self.ledger, self.actor = session, ledger, actor
        # A bulk append names the same items, batches, producers and places over and over.
        self.allowed_producers: set[str] = set()
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
            raise NotFound(f"no item {public_id}", field=field_name)
        self._allow(row.producer)
        epc = item_epc(row.gtin, row.serial)
        # The projection of this very event resolves the same EPC: it need not ask again.
        remember_items(self.session, {epc: row.id})
        remember_producers(self.session, {row.producer: row.producer_id})
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
                raise NotFound(f"no batch {q.batch}", field=field_name)
            self._allow(row[2])
            self.batches[q.batch] = batch_epc_class(row[1], row[0])
        out: dict[str, Any] = {"epcClass": self.batches[q.batch]}
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
        if value not in self.locations:
            row = self._row(_LOCATION, value)
            if row is None:
                raise NotFound(f"no location {value}", field=field_name)
            self.locations[value] = location_uri(row)
        return self.locations[value]

    def _allow(self, producer: str) -> None:
        if producer not in self.allowed_producers:
            require_producer_actor(self.session, self.ledger, self.actor, producer)
            self.allowed_producers.add(producer)


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
    v.moment(parsed, f"{where}.eventTime")
    return event


def _with_event_id(event: dict[str, Any], index: int) -> dict[str, Any]:
    """The event with its eventID: the sender's when present, else our CBV 2.0 hash.

    A present eventID is kept as given (EPCIS lets the capturing application choose it, and
    GS1's own examples carry hashes of an older draft); callers that want the mismatch reported
    check it with ``traceapp.epcis.event_hash.check_event_id`` before calling.
    """
    present = event.get("eventID")
    if present is not None:
        if not isinstance(present, str) or ":" not in present:
            raise ValidationFailed("must be a URI", field=f"events.{index}.eventID")
        return event
    try:
        return {**event, "eventID": event_hash(event)}
    except EpcisError as exc:
        raise ValidationFailed(str(exc), field=f"events.{index}.eventID") from None


# Column widths of the events tables (models.py): longer values are refused up front, so one
# odd event fails alone instead of aborting the whole transaction on PostgreSQL.
_MAX_EPC = 300
_MAX_VOCABULARY = 200
# Room left in a ledger entry (65,535 bytes) for everything but the statement.
_ENTRY_OVERHEAD = 1024


def _check_storable(event: dict[str, Any], index: int) -> None:
    where = f"events.{index}"
    if len(event["eventID"]) > 200:
        raise ValidationFailed("at most 200 characters", field=f"{where}.eventID")
    for key in ("bizStep", "disposition"):
        value = event.get(key)
        if isinstance(value, str) and len(value) > _MAX_VOCABULARY:
            raise ValidationFailed(f"at most {_MAX_VOCABULARY} characters", field=f"{where}.{key}")
    for key in ("readPoint", "bizLocation"):
        value = (event.get(key) or {}).get("id")
        if isinstance(value, str) and len(value) > _MAX_EPC:
            raise ValidationFailed(f"at most {_MAX_EPC} characters", field=f"{where}.{key}.id")
    declaration = event.get("errorDeclaration")
    if isinstance(declaration, dict) and len(error_reason(declaration.get("reason")) or "") > 200:
        raise ValidationFailed("at most 200 characters", field=f"{where}.errorDeclaration.reason")
    for role, epc in event_epcs(event):
        if not isinstance(epc, str) or len(epc) > _MAX_EPC:
            raise ValidationFailed(
                f"EPCs are URIs of at most {_MAX_EPC} characters", field=f"{where}.{role}"
            )
    try:
        size = len(canonicalize(event))
    except FormatError:  # a number canonical JSON cannot hold (2^64, NaN): every door's check
        raise ValidationFailed(
            "numbers must be finite and within ±(2^53 - 1) (I-JSON, RFC 7493)", field=where
        ) from None
    if size > MAX_ENTRY_SIZE - _ENTRY_OVERHEAD:
        raise ValidationFailed(
            f"the event is {size} bytes as canonical JSON; a ledger entry holds at most "
            f"{MAX_ENTRY_SIZE - _ENTRY_OVERHEAD} bytes of event",
            field=where,
        )


@dataclass(frozen=True)
class EventPlan:
    """What one submitted EPCIS event becomes: a statement, nothing (already known) or an error.

    ``outcome`` is ``recorded`` (an ``event.recorded`` statement), ``error_declared`` (its
    eventID is recorded and it carries an ``errorDeclaration``: an ``event.error_declared``
    statement), ``duplicate`` (nothing to append) or ``rejected`` (``error`` says why).
    """

    index: int
    event_id: str | None
    outcome: str
    draft: Draft | None = None
    error: DomainError | None = None


class EventsRejected(ValidationFailed):
    """All-or-nothing: some events were refused, so none was recorded."""

    def __init__(self, failures: Sequence[EventPlan]) -> None:
        self.failures = list(failures)
        first = self.failures[0]
        assert first.error is not None
        more = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
        super().__init__(f"{first.error.message}{more}", field=first.error.field)


def _known_events(session: Session, event_ids: Sequence[str]) -> dict[str, tuple[int | None, bool]]:
    """eventID -> (producer row id, error already declared) for the recorded ones."""
    known: dict[str, tuple[int | None, bool]] = {}
    unique = list(dict.fromkeys(event_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        rows = (
            _KNOWN_EVENT.all(session, {"id": chunk[0]})  # a single-event write
            if len(chunk) == 1
            else session.execute(_KNOWN_EVENTS, {"ids": chunk})
        )
        known.update((eid, (producer, declared is not None)) for eid, producer, declared in rows)
    return known


_EVENTS = Event.__table__
_KNOWN = select(_EVENTS.c.event_id, _EVENTS.c.producer_id, _EVENTS.c.error_declared_seq)
_KNOWN_EVENTS = _KNOWN.where(_EVENTS.c.event_id.in_(bindparam("ids", expanding=True)))
_KNOWN_EVENT = Prepared(_KNOWN.where(_EVENTS.c.event_id == bindparam("id")))


def _declaration_statement(
    event_id: str,
    declared_at: str,
    reason: str | None,
    corrective_event_ids: Sequence[str],
    declaration: dict[str, Any] | None = None,
) -> Draft:
    statement: dict[str, Any] = {
        "event_id": event_id,
        "declared_at": declared_at,
        "reason": reason,
        "corrective_event_ids": list(corrective_event_ids),
    }
    if declaration is not None:  # an imported errorDeclaration, kept whole (extensions too)
        statement["declaration"] = declaration
    return Draft("event.error_declared", statement)


def _imported_declaration(event: dict[str, Any], index: int) -> Draft:
    declaration = event["errorDeclaration"]
    where = f"events.{index}.errorDeclaration"
    if not isinstance(declaration, dict):
        raise ValidationFailed("must be an object", field=where)
    try:
        moment = datetime.fromisoformat(str(declaration.get("declarationTime")))
    except ValueError:
        raise ValidationFailed(
            "must be an RFC 3339 date-time", field=f"{where}.declarationTime"
        ) from None
    declared_at, _zone = format_event_time(moment)
    corrective = declaration.get("correctiveEventIDs") or []
    if not isinstance(corrective, list) or not all(isinstance(c, str) for c in corrective):
        raise ValidationFailed("must be a list of URIs", field=f"{where}.correctiveEventIDs")
    reason = error_reason(declaration.get("reason"))
    return _declaration_statement(event["eventID"], declared_at, reason, corrective, declaration)


class _Corrector:
    """Who may declare an error on a recorded event: its producer, or an admin."""

    def __init__(self, session: Session, ledger: Ledger, actor: str) -> None:
        key = ledger.role_of(session, actor)
        self.is_admin = key.role == "admin"
        self.producer_id = (
            session.execute(
                select(Producer.id).where(Producer.public_id == key.producer_public_id)
            ).scalar_one_or_none()
            if key.producer_public_id
            else None
        )

    def check(self, owner_id: int | None, field_name: str) -> None:
        if self.is_admin or owner_id is None or owner_id == self.producer_id:
            return
        raise PermissionDenied("only the event's producer may correct it", field=field_name)


def plan_epcis_events(
    session: Session,
    ledger: Ledger,
    actor: str,
    ids: IdSource,
    events: Sequence[dict[str, Any]],
) -> list[EventPlan]:
    """Decide, event by event and in order, what a capture appends.

    A new eventID becomes ``event.recorded`` (with its errorDeclaration, if any, as received);
    a recorded eventID appends nothing, unless the event carries an errorDeclaration and none
    was declared yet: then it becomes ``event.error_declared`` (append-only correction).
    """
    producer = actor_producer(session, ledger, actor)
    checked: list[dict[str, Any] | DomainError] = []
    for n, raw in enumerate(events):
        try:
            event = _with_event_id(check_epcis_event(raw, n), n)
            _check_storable(event, n)
            checked.append(event)
        except DomainError as exc:
            checked.append(exc)
    known = _known_events(session, [e["eventID"] for e in checked if isinstance(e, dict)])
    corrector: _Corrector | None = None
    declared = {eid for eid, (_owner, is_declared) in known.items() if is_declared}
    plans: list[EventPlan] = []
    for n, item in enumerate(checked):
        if isinstance(item, DomainError):
            plans.append(EventPlan(n, None, "rejected", error=item))
            continue
        event = item
        eid = event["eventID"]
        has_declaration = "errorDeclaration" in event
        if eid not in known:
            known[eid] = (None, has_declaration)  # recorded by this very capture
            if has_declaration:
                declared.add(eid)
            statement = {"id": ids.public_id("evt"), "producer": producer, "event": event}
            plans.append(EventPlan(n, eid, "recorded", Draft("event.recorded", statement)))
            continue
        if not has_declaration or eid in declared:
            plans.append(EventPlan(n, eid, "duplicate"))
            continue
        try:
            corrector = corrector or _Corrector(session, ledger, actor)
            corrector.check(known[eid][0], f"events.{n}.errorDeclaration")
            draft = _imported_declaration(event, n)
        except DomainError as exc:
            plans.append(EventPlan(n, eid, "rejected", error=exc))
            continue
        declared.add(eid)
        plans.append(EventPlan(n, eid, "error_declared", draft))
    return plans


def _drafts_for(
    session: Session, ids: IdSource, producer: str | None, events: Sequence[dict[str, Any]]
) -> list[Draft]:
    """One ``event.recorded`` per new eventID; already recorded events append nothing."""
    with_ids = [_with_event_id(check_epcis_event(e, n), n) for n, e in enumerate(events)]
    for n, event in enumerate(with_ids):
        _check_storable(event, n)
    known = _known_events(session, [e["eventID"] for e in with_ids])
    drafts = []
    for event in with_ids:
        if event["eventID"] in known:
            continue
        known[event["eventID"]] = (None, False)
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
        resolver = _Resolver(session, ledger, actor)
        resolver.prefetch([data])
        event = build_epcis_event(resolver, data)
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
    resolver.prefetch(events)
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
    """Record EPCIS 2.0 event objects as given (capture, import), all or nothing.

    Known eventIDs are skipped (errorDeclarations on them become ``event.error_declared``);
    None when nothing was new. Raises ``EventsRejected`` listing every refused event.
    """
    receipt, _plans = capture_epcis_events(
        session, ledger, actor, events, idempotency_key=idempotency_key
    )
    return receipt


def capture_epcis_events(
    session: Session,
    ledger: Ledger,
    actor: str,
    events: Sequence[dict[str, Any]],
    *,
    proceed: bool = False,
    idempotency_key: str | None = None,
) -> tuple[Receipt | None, list[EventPlan]]:
    """Like ``record_epcis_events`` but returns each event's plan; with ``proceed`` the valid
    events are recorded and the refused ones only reported (EPCIS capture error behaviour).

    The plans are empty when an idempotency key replays an earlier request.
    """
    plans: list[EventPlan] = []

    def build(ids: IdSource) -> Sequence[Draft]:
        plans[:] = plan_epcis_events(session, ledger, actor, ids, events)
        failures = [p for p in plans if p.outcome == "rejected"]
        if failures and not proceed:
            raise EventsRejected(failures)
        drafts = [p.draft for p in plans if p.draft is not None]
        if not drafts:
            raise _NothingNew
        return drafts

    try:
        receipt = perform(
            session,
            ledger,
            actor,
            build,
            request={"op": "record_epcis_events", "events": list(events), "proceed": proceed},
            idempotency_key=idempotency_key,
            ids_of=_statement_ids,
        )
    except _NothingNew:
        return None, plans
    return receipt, plans


class _NothingNew(Exception):
    pass


def _statement_ids(drafts: Sequence[Draft]) -> list[str]:
    """Receipt IDs: a recorded event's public ID, a declaration's eventID."""
    return [str(d.statement.get("id", d.statement.get("event_id"))) for d in drafts]


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
        _Corrector(session, ledger, actor).check(old.producer_id, "eventId")
        resolver = _Resolver(session, ledger, actor)
        fixes = _drafts_for(
            session, ids, producer, [build_epcis_event(resolver, e) for e in corrective]
        )
        when, _zone = format_event_time(declared_at or datetime.now(UTC))
        declaration = _declaration_statement(
            event_id,
            when,
            _cbv("ER", v.required_text(reason, "reason", max_length=200), "reason"),
            [d.statement["event"]["eventID"] for d in fixes],
        )
        return [*fixes, declaration]

    return perform(
        session,
        ledger,
        actor,
        build,
        request={"op": "declare_error", "event": event_id, "reason": reason},
        idempotency_key=idempotency_key,
        ids_of=_statement_ids,
    )
