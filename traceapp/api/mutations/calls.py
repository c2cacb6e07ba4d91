"""From GraphQL inputs to service calls: IDs decoded, values converted, nothing else.

Each function returns a ``Call`` (the service's plan and perform bound to the input); the
runner calls it inside its error handling, so a bad ID becomes a userError like any other
DomainError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.api.ids import public_id_of
from traceapp.api.mutations import inputs as i
from traceapp.api.mutations.runner import Call
from traceapp.batches.services import (
    BatchInput,
    create_batch,
    issue_items,
    plan_create_batch,
    plan_issue_items,
)
from traceapp.epcis.errors import EpcisValidationError
from traceapp.errors import NotFound, Problem, Translate, ValidationFailed
from traceapp.events.building import EventInput, Quantity, SourceDest
from traceapp.events.capture import CaptureResult, capture_document
from traceapp.events.models import Event
from traceapp.events.services import (
    declare_error,
    plan_record_event,
    record_epcis_events_noticed,
    record_event_noticed,
    record_events_noticed,
)
from traceapp.keys.services import plan_register_key, plan_revoke_key, register_key, revoke_key
from traceapp.ledger_store.service import WriteRequest
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.locations.services import (
    LocationChanges,
    LocationInput,
    plan_register_location,
    plan_update_location,
    register_location,
    update_location,
)
from traceapp.producers.contact import ContactInput, plan_update_contact, update_contact
from traceapp.producers.services import ProducerInput, plan_register_producer, register_producer
from traceapp.products.services import (
    CertificationInput,
    ProductChanges,
    ProductInput,
    grant_certification,
    plan_grant_certification,
    plan_register_product,
    plan_revoke_certification,
    plan_update_product,
    register_product,
    revoke_certification,
    update_product,
)
from traceapp.recalls.services import RecallInput, issue_recall, plan_issue_recall


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
        sensor_reports=[dict(cast(Mapping[str, Any], r)) for r in data.sensor_reports],
        certification_info=data.certification_info,
    )


def _service(
    perform: Callable[..., Any], plan: Callable[..., list[Draft]] | None, *args: Any, **kwargs: Any
) -> Call:
    """``perform(session, ledger, actor, *args, idempotency_key=, signature=, **kwargs)`` and
    ``plan(session, ledger, request, *args, **kwargs)`` bound to one mutation's values."""

    def performed(session: Session, ledger: Ledger, request: WriteRequest) -> Any:
        return perform(
            session,
            ledger,
            request.actor,
            *args,
            idempotency_key=request.idempotency_key,
            signature=request.signature,
            **kwargs,
        )

    def planned(session: Session, ledger: Ledger, request: WriteRequest) -> list[Draft]:
        assert plan is not None
        return plan(session, ledger, request, *args, **kwargs)

    return Call(performed, planned if plan is not None else None)


def register_producer_call(data: i.RegisterProducerInput) -> Call:
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
    return _service(register_producer, plan_register_producer, value)


def update_producer_contact_call(data: i.UpdateProducerContactInput) -> Call:
    value = ContactInput(
        producer=public_id_of(data.producer, "Producer", "producer"),
        phone=data.phone,
        zalo=data.zalo,
        website=data.website,
        address=data.address,
    )
    return _service(update_contact, plan_update_contact, value)


def register_product_call(data: i.RegisterProductInput) -> Call:
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
    return _service(register_product, plan_register_product, value)


def update_product_call(data: i.UpdateProductInput) -> Call:
    product = public_id_of(data.product, "Product", "product")
    changes = ProductChanges(
        name_vi=data.name_vi,
        name_en=data.name_en,
        group=data.group.value if data.group else None,
        description=data.description,
        image_url=data.image_url,
        standards=list(data.standards) if data.standards is not None else None,
    )
    return _service(update_product, plan_update_product, product, changes)


def grant_certification_call(data: i.GrantCertificationInput) -> Call:
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
    return _service(grant_certification, plan_grant_certification, value)


def revoke_certification_call(data: i.RevokeCertificationInput) -> Call:
    cert = public_id_of(data.certification, "Certification", "certification")
    return _service(revoke_certification, plan_revoke_certification, cert, data.reason)


def register_location_call(data: i.RegisterLocationInput) -> Call:
    value = LocationInput(
        producer=public_id_of(data.producer, "Producer", "producer"),
        code=data.code,
        name=data.name,
        kind=data.kind.value,
        gln=data.gln,
        province=data.province,
        commune=data.commune,
        street=data.street,
        latitude=data.latitude,
        longitude=data.longitude,
    )
    return _service(register_location, plan_register_location, value)


def update_location_call(data: i.UpdateLocationInput) -> Call:
    location = public_id_of(data.location, "Location", "location")
    changes = LocationChanges(
        name=data.name,
        kind=data.kind.value if data.kind else None,
        province=data.province,
        commune=data.commune,
        street=data.street,
        latitude=data.latitude,
        longitude=data.longitude,
        clear_position=data.clear_position,
    )
    return _service(update_location, plan_update_location, location, changes)


def create_batch_call(data: i.CreateBatchInput) -> Call:
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
    return _service(create_batch, plan_create_batch, value)


def issue_items_call(data: i.IssueItemsInput) -> Call:
    batch = public_id_of(data.batch, "Batch", "batch")
    return _service(
        issue_items,
        plan_issue_items,
        batch,
        data.count,
        with_pins=data.with_pins,
        over_quantity_reason=data.over_quantity_reason,
    )


def record_event_call(data: i.RecordEventInput) -> Call:
    return _service(record_event_noticed, plan_record_event, event_input(data.event, "event."))


def record_events_call(data: i.RecordEventsInput) -> Call:
    values = [event_input(e, f"events.{n}.") for n, e in enumerate(data.events)]
    return _service(record_events_noticed, None, values)


def capture_epcis_events_call(data: i.CaptureEpcisEventsInput) -> Call:
    if not data.events:
        raise ValidationFailed("send at least one event", field="events")
    events = [dict(e) if isinstance(e, dict) else e for e in data.events]
    return _service(record_epcis_events_noticed, None, events)


class DocumentRejected(ValidationFailed):
    """An EPCIS document refused as a whole: one problem per issue, by JSON pointer."""

    def __init__(self, error: EpcisValidationError) -> None:
        first = error.issues[0] if error.issues else None
        super().__init__(str(error), field=first.pointer if first else "document")
        self.issues = error.issues

    def problems(self, translate: Translate | None = None) -> list[Problem]:
        if not self.issues:
            return super().problems(translate)
        return [
            Problem(issue.pointer or "document", issue.message, _code(issue.rule))
            for issue in self.issues
        ]


def _code(rule: str) -> str:
    """A schema rule (``required``) as ``EPCIS_REQUIRED``; a domain code (``FORBIDDEN``) as
    itself, so a refusal reads the same here as on every other door."""
    return rule if rule.isupper() else f"EPCIS_{rule.upper()}"


def _capture(
    session: Session, ledger: Ledger, actor: str, document: Any, **kwargs: Any
) -> CaptureResult:
    try:
        return capture_document(session, ledger, actor, document, **kwargs)
    except EpcisValidationError as exc:
        raise DocumentRejected(exc) from None


def capture_epcis_document_call(data: i.CaptureEpcisDocumentInput) -> Call:
    return _service(_capture, None, data.document, error_behaviour=data.error_behaviour.value)


def _event_id(session: Session, global_id: str) -> str:
    public_id = public_id_of(global_id, "Event", "event")
    event_id = session.execute(
        select(Event.event_id).where(Event.public_id == public_id)
    ).scalar_one_or_none()
    if event_id is None:
        raise NotFound("no such event", field="event")
    return event_id


def declare_event_error_call(data: i.DeclareEventErrorInput) -> Call:
    fixes = [event_input(e, f"correctiveEvents.{n}.") for n, e in enumerate(data.corrective_events)]

    def perform(session: Session, ledger: Ledger, request: WriteRequest) -> Any:
        return declare_error(
            session,
            ledger,
            request.actor,
            _event_id(session, data.event),
            data.reason,
            fixes,
            declared_at=data.declared_at,
            idempotency_key=request.idempotency_key,
            signature=request.signature,
        )

    return Call(perform)


def issue_recall_call(data: i.IssueRecallInput) -> Call:
    value = RecallInput(
        batches=[public_id_of(b, "Batch", f"batches.{n}") for n, b in enumerate(data.batches)],
        reason=data.reason,
        severity=data.severity.value,
        issued_at=data.issued_at,
    )
    return _service(issue_recall, plan_issue_recall, value)


def register_key_call(data: i.RegisterKeyInput) -> Call:
    producer = public_id_of(data.producer, "Producer", "producer") if data.producer else None
    return _service(register_key, plan_register_key, data.vkey, data.role.value, producer)


def revoke_key_call(data: i.RevokeKeyInput) -> Call:
    return _service(revoke_key, plan_revoke_key, data.key, data.reason)
