"""EPCIS 2.0 events and recalls."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

import strawberry
from strawberry.scalars import JSON

from traceapp.api.planner import Rel
from traceapp.api.types.batches import Batch
from traceapp.api.types.catalog import Producer
from traceapp.api.types.common import Node
from traceapp.api.types.enums import EventAction, EventType, RecallSeverity
from traceapp.events import models as events
from traceapp.recalls import models as recalls


@strawberry.type(description="An EPC or EPC class an event names, with its role in the event.")
class EventEpc:
    role: str
    epc: str


@strawberry.type(description="An EPCIS 2.0 event as recorded in the ledger.")
class Event(Node):
    row: strawberry.Private[events.Event]
    LOADS: ClassVar[dict[str, Rel]] = {}

    @strawberry.field(description="The EPCIS eventID (CBV 2.0 event hash unless given).")
    def event_id(self) -> str:
        return self.row.event_id

    @strawberry.field
    def type(self) -> EventType:
        return EventType(self.row.type)

    @strawberry.field
    def action(self) -> EventAction | None:
        return EventAction(self.row.action) if self.row.action else None

    @strawberry.field
    def event_time(self) -> datetime:
        return self.row.event_time

    @strawberry.field
    def event_time_zone_offset(self) -> str:
        return self.row.event_time_zone_offset

    @strawberry.field(description="CBV short name (e.g. shipping) or an extension URI.")
    def biz_step(self) -> str | None:
        return self.row.biz_step

    @strawberry.field
    def disposition(self) -> str | None:
        return self.row.disposition

    @strawberry.field
    def read_point(self) -> str | None:
        return self.row.read_point

    @strawberry.field
    def biz_location(self) -> str | None:
        return self.row.biz_location

    @strawberry.field
    def producer(self) -> Producer | None:
        producer = self.row.producer
        return Producer(row=producer) if producer is not None else None

    @strawberry.field
    def epcs(self) -> list[EventEpc]:
        return [EventEpc(role=e.role, epc=e.epc) for e in self.row.epcs]

    @strawberry.field(description="The EPCIS 2.0 event, as its canonical JSON.")
    def document(self) -> JSON:
        value: Any = json.loads(self.row.document)
        return value  # type: ignore[no-any-return]

    @strawberry.field
    def ledger_index(self) -> int:
        return self.row.ledger_seq

    @strawberry.field(description="Set when a later errorDeclaration retracted it.")
    def error_declared_ledger_index(self) -> int | None:
        return self.row.error_declared_seq

    @strawberry.field
    def error_reason(self) -> str | None:
        return self.row.error_reason


@strawberry.type(description="A recall of one or more batches.")
class Recall(Node):
    row: strawberry.Private[recalls.Recall]
    LOADS: ClassVar[dict[str, Rel]] = {}

    @strawberry.field
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field
    def severity(self) -> RecallSeverity:
        return RecallSeverity(self.row.severity)

    @strawberry.field
    def issued_at(self) -> datetime:
        return self.row.issued_at

    @strawberry.field
    def batches(self) -> list[Batch]:
        return [Batch(row=b) for b in self.row.batches]

    @strawberry.field
    def ledger_index(self) -> int:
        return self.row.ledger_seq


Event.LOADS.update(
    {
        "producer": Rel((events.Event.producer,), Producer),
        "epcs": Rel((events.Event.epcs,)),
    }
)
Recall.LOADS.update({"batches": Rel((recalls.Recall.batches,), Batch)})
