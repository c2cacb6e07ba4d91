"""From GraphQL inputs to service calls: IDs decoded, values converted, nothing else.

Each function returns a ``BuildCall``; decoding happens inside it so that a bad ID becomes a
userError like any other DomainError.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.api.ids import public_id_of
from traceapp.api.mutations import inputs as i
from traceapp.api.mutations.runner import BuildCall, Call
from traceapp.batches.services import BatchInput, create_batch, issue_items
from traceapp.epcis.capture import CaptureResult, capture_document
from traceapp.epcis.errors import EpcisValidationError
from traceapp.events.models import Event
from traceapp.events.services import (
    EventInput,
    Quantity,
    SourceDest,
    declare_error,
    record_epcis_events,
    record_event,
    record_events,
)
from traceapp.keys.services import register_key, revoke_key
from traceapp.ledger_store.errors import NotFound, ValidationFailed
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.services import LocationInput, register_location
from traceapp.producers.services import ProducerInput, register_producer
from traceapp.products.services import (
    CertificationInput,
    ProductChanges,
    ProductInput,
    grant_certification,
    register_product,
    revoke_certification,
    update_product,
)
from traceapp.recalls.services import RecallInput, issue_recall


def _location(value: str | None, field: str) -> str | None:
    """A Location ID becomes its public ID; a URI passes as it is."""
    if value is None or ":" in value:
        return value
    return public_id_of(value, "Location", field)


def _quantities(values: list[i.QuantityInput], field: str) -> list[Quantity]:
    return [
        Quantity(public_id_of(q.batch, "Batch", f"{field}.{n}.batch"), q.quantity, q.uom)
        for n, q in enumerate(values)
    ]


def _items(values: list[Any], field: str) -> list[str]:
    return [public_id_of(v, "Item", f"{field}.{n}") for n, v in enumerate(values)]


def event_input(data: i.EventDataInput, prefix: str = "") -> EventInput:
    parent = data.parent
    if parent is not None and ":" not in parent:
        parent = public_id_of(parent, "Item", f"{prefix}parent")
    for n, report in enumerate(data.sensor_reports):
        if not isinstance(report, dict):
            raise ValidationFailed("must be an object", field=f"{prefix}sensorReports.{n}")
    return EventInput(
        type=data.type.value,
        event_time=data.event_time,
        action=data.action.value if data.action else None,
        biz_step=data.biz_step,
        disposition=data.disposition,
        read_point=_location(data.read_point, f"{prefix}readPoint"),
        biz_location=_location(data.biz_location, f"{prefix}bizLocation"),
        items=_items(data.items, f"{prefix}items"),
        quantities=_quantities(data.quantities, f"{prefix}quantities"),
        parent=parent,
        input_items=_items(data.input_items, f"{prefix}inputItems"),
        input_quantities=_quantities(data.input_quantities, f"{prefix}inputQuantities"),
        output_items=_items(data.output_items, f"{prefix}outputItems"),
        output_quantities=_quantities(data.output_quantities, f"{prefix}outputQuantities"),
        sources=[
            SourceDest(s.type, _location(s.location, f"{prefix}sources.{n}.location") or "")
            for n, s in enumerate(data.sources)
        ],
        destinations=[
            SourceDest(d.type, _location(d.location, f"{prefix}destinations.{n}.location") or "")
            for n, d in enumerate(data.destinations)
        ],
        biz_transactions=[(b.type, b.value) for b in data.biz_transactions],
        sensor_reports=[dict(r) for r in data.sensor_reports],
        certification_info=data.certification_info,
    )


def register_producer_call(data: i.RegisterProducerInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        personal = {}
        if data.personal is not None:
            personal = {
                k: v
                for k, v in (
                    ("owner_name", data.personal.owner_name),
                    ("phone", data.personal.phone),
                    ("email", data.personal.email),
                    ("personal_address", data.personal.personal_address),
                )
                if v is not None
            }
        value = ProducerInput(
            kind=data.kind.value,
            name=data.name,
            province=data.province,
            address_recorded_on=data.address_recorded_on,
            tax_code=data.tax_code,
            commune=data.commune,
            street=data.street,
            gln=data.gln,
            personal=personal,
        )
        return lambda s, ledger, actor, key, sig: register_producer(
            s, ledger, actor, value, idempotency_key=key, signature=sig
        )

    return build


def register_product_call(data: i.RegisterProductInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        value = ProductInput(
            producer=public_id_of(data.producer, "Producer", "producer"),
            gtin=data.gtin,
            name_vi=data.name_vi,
            group=data.group.value,
            name_en=data.name_en,
            description=data.description,
            image_url=data.image_url,
            standards=list(data.standards),
        )
        return lambda s, ledger, actor, key, sig: register_product(
            s, ledger, actor, value, idempotency_key=key, signature=sig
        )

    return build


def update_product_call(data: i.UpdateProductInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        product = public_id_of(data.product, "Product", "product")
        changes = ProductChanges(
            name_vi=data.name_vi,
            name_en=data.name_en,
            group=data.group.value if data.group else None,
            description=data.description,
            image_url=data.image_url,
            standards=list(data.standards) if data.standards is not None else None,
        )
        return lambda s, ledger, actor, key, sig: update_product(
            s, ledger, actor, product, changes, idempotency_key=key, signature=sig
        )

    return build


def grant_certification_call(data: i.GrantCertificationInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        value = CertificationInput(
            product=public_id_of(data.product, "Product", "product"),
            scheme=data.scheme.value,
            issuer=data.issuer,
            decision_number=data.decision_number,
            issued_on=data.issued_on,
            stars=data.stars,
            issuer_level=data.issuer_level.value if data.issuer_level else None,
            valid_until=data.valid_until,
        )
        return lambda s, ledger, actor, key, sig: grant_certification(
            s, ledger, actor, value, idempotency_key=key, signature=sig
        )

    return build


def revoke_certification_call(data: i.RevokeCertificationInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        cert = public_id_of(data.certification, "Certification", "certification")
        return lambda s, ledger, actor, key, _sig: revoke_certification(
            s, ledger, actor, cert, data.reason, idempotency_key=key
        )

    return build


def register_location_call(data: i.RegisterLocationInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        value = LocationInput(
            producer=public_id_of(data.producer, "Producer", "producer"),
            code=data.code,
            name=data.name,
            kind=data.kind.value,
            gln=data.gln,
            province=data.province,
            commune=data.commune,
            street=data.street,
        )
        return lambda s, ledger, actor, key, sig: register_location(
            s, ledger, actor, value, idempotency_key=key, signature=sig
        )

    return build


def create_batch_call(data: i.CreateBatchInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        value = BatchInput(
            product=public_id_of(data.product, "Product", "product"),
            lot=data.lot,
            production_date=data.production_date,
            expiry_date=data.expiry_date,
            quantity=data.quantity,
            unit=data.unit,
            origin_location=(
                public_id_of(data.origin_location, "Location", "originLocation")
                if data.origin_location
                else None
            ),
            inputs=[public_id_of(b, "Batch", f"inputs.{n}") for n, b in enumerate(data.inputs)],
        )
        return lambda s, ledger, actor, key, sig: create_batch(
            s, ledger, actor, value, idempotency_key=key, signature=sig
        )

    return build


def issue_items_call(data: i.IssueItemsInput) -> BuildCall:
    def build(client_signed: bool) -> Call:
        batch = public_id_of(data.batch, "Batch", "batch")
        if client_signed and data.with_pins:
            # PINs are random and never derived, so prepare and submit would differ.
            raise ValidationFailed(
                "a client-signed request cannot issue PINs: issue them with the token's key",
                field="withPins",
            )
        return lambda s, ledger, actor, key, sig: issue_items(
            s,
            ledger,
            actor,
            batch,
            data.count,
            with_pins=data.with_pins,
            idempotency_key=key,
            signature=sig,
        )

    return build


def record_event_call(data: i.RecordEventInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        value = event_input(data.event, "event.")
        return lambda s, ledger, actor, key, sig: record_event(
            s, ledger, actor, value, idempotency_key=key, signature=sig
        )

    return build


def record_events_call(data: i.RecordEventsInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        values = [event_input(e, f"events.{n}.") for n, e in enumerate(data.events)]
        return lambda s, ledger, actor, key, _sig: record_events(
            s, ledger, actor, values, idempotency_key=key
        )

    return build


def capture_epcis_events_call(data: i.CaptureEpcisEventsInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        if not data.events:
            raise ValidationFailed("send at least one event", field="events")
        events = [dict(e) if isinstance(e, dict) else e for e in data.events]
        return lambda s, ledger, actor, key, _sig: record_epcis_events(
            s, ledger, actor, events, idempotency_key=key
        )

    return build


class DocumentRejected(ValidationFailed):
    """An EPCIS document refused as a whole: one userError per issue, by JSON pointer."""

    def __init__(self, error: EpcisValidationError) -> None:
        first = error.issues[0] if error.issues else None
        super().__init__(str(error), field=first.pointer if first else "document")
        self.issues = error.issues


def capture_epcis_document_call(data: i.CaptureEpcisDocumentInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        def call(
            s: Session, ledger: Ledger, actor: str, key: str | None, _sig: bytes | None
        ) -> CaptureResult:
            try:
                return capture_document(
                    s,
                    ledger,
                    actor,
                    data.document,
                    error_behaviour=data.error_behaviour.value,
                    idempotency_key=key,
                )
            except EpcisValidationError as exc:
                raise DocumentRejected(exc) from None

        return call

    return build


def _event_id(session: Session, global_id: str) -> str:
    public_id = public_id_of(global_id, "Event", "event")
    event_id = session.execute(
        select(Event.event_id).where(Event.public_id == public_id)
    ).scalar_one_or_none()
    if event_id is None:
        raise NotFound("no such event", field="event")
    return event_id


def declare_event_error_call(data: i.DeclareEventErrorInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        fixes = [
            event_input(e, f"correctiveEvents.{n}.") for n, e in enumerate(data.corrective_events)
        ]

        def call(s: Session, ledger: Ledger, actor: str, key: str | None, _sig: Any) -> Any:
            return declare_error(
                s,
                ledger,
                actor,
                _event_id(s, data.event),
                data.reason,
                fixes,
                declared_at=data.declared_at,
                idempotency_key=key,
            )

        return call

    return build


def issue_recall_call(data: i.IssueRecallInput) -> BuildCall:
    def build(client_signed: bool) -> Call:
        if client_signed and data.issued_at is None:
            raise ValidationFailed(
                "is required with a client signature (the statement must not change)",
                field="issuedAt",
            )
        value = RecallInput(
            batches=[public_id_of(b, "Batch", f"batches.{n}") for n, b in enumerate(data.batches)],
            reason=data.reason,
            severity=data.severity.value,
            issued_at=data.issued_at,
        )
        return lambda s, ledger, actor, key, sig: issue_recall(
            s, ledger, actor, value, idempotency_key=key, signature=sig
        )

    return build


def register_key_call(data: i.RegisterKeyInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        producer = public_id_of(data.producer, "Producer", "producer") if data.producer else None
        return lambda s, ledger, actor, key, _sig: register_key(
            s, ledger, actor, data.vkey, data.role.value, producer, idempotency_key=key
        )

    return build


def revoke_key_call(data: i.RevokeKeyInput) -> BuildCall:
    def build(_client_signed: bool) -> Call:
        return lambda s, ledger, actor, key, _sig: revoke_key(
            s, ledger, actor, data.key, data.reason, idempotency_key=key
        )

    return build
