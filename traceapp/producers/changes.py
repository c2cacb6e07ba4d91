"""``producer.updated``: the programme office corrects a producer's public details and address.

The statement holds only what changes (``{"id", "changes": {...}}``, as ``product.updated``);
an address is recorded whole, with the date it was recorded, so an address from before the
2025 merger of administrative units stays on the ledger as it was, and the new one says when it
was recorded. Personal fields stay off the ledger and are not changed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from traceapp import validation as v
from traceapp.gs1.identifiers import normalise_gln
from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.producers.errors import NotProducersActor, ProducerExists, ProducerInvalid
from traceapp.producers.models import PRODUCER_KINDS, Producer
from traceapp.producers.services import get_producer

STATEMENT = "producer.updated"


@dataclass(frozen=True)
class AddressInput:
    province: str
    recorded_on: date | str
    commune: str | None = None
    street: str | None = None


@dataclass(frozen=True)
class ProducerChanges:
    """What to change; None leaves a field as it is."""

    name: str | None = None
    kind: str | None = None
    tax_code: str | None = None
    gln: str | None = None
    address: AddressInput | None = None


def address_statement(address: AddressInput) -> dict[str, str | None]:
    return {
        "province": v.required_text(address.province, "address.province", max_length=100),
        "commune": v.text(address.commune, "address.commune", max_length=100, required=False),
        "street": v.text(address.street, "address.street", max_length=300, required=False),
        "recorded_on": v.iso_date(address.recorded_on, "address.recordedOn").isoformat(),
    }


def _unique(
    session: Session,
    producer: Producer,
    column: InstrumentedAttribute[str | None],
    value: str,
    field: str,
) -> None:
    taken = session.execute(
        select(Producer.id).where(column == value, Producer.id != producer.id)
    ).first()
    if taken:
        raise ProducerExists(f"a producer with this {field} exists", field=field)


def _changes(session: Session, producer: Producer, data: ProducerChanges) -> dict[str, object]:
    out: dict[str, object] = {}
    if data.name is not None:
        name = v.required_text(data.name, "name", max_length=300)
        if name != producer.name:
            out["name"] = name
    if data.kind is not None:
        kind = v.choice(data.kind, "kind", PRODUCER_KINDS)
        if kind != producer.kind:
            out["kind"] = kind
    if data.tax_code is not None:
        tax_code = v.required_text(data.tax_code, "taxCode", max_length=20)
        if not tax_code.replace("-", "").isdigit():
            raise ProducerInvalid("must be digits (10 or 13, with '-')", field="taxCode")
        if tax_code != producer.tax_code:
            _unique(session, producer, Producer.tax_code, tax_code, "taxCode")
            out["tax_code"] = tax_code
    if data.gln is not None:
        gln = v.gs1(normalise_gln, data.gln, "gln")
        if gln != producer.gln:
            _unique(session, producer, Producer.gln, gln, "gln")
            out["gln"] = gln
    if data.address is not None:
        address = address_statement(data.address)
        current = {
            "province": producer.province,
            "commune": producer.commune,
            "street": producer.street,
            "recorded_on": producer.address_recorded_on.isoformat(),
        }
        if address != current:
            out["address"] = address
    return out


def plan_update_producer(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    producer_id: str,
    data: ProducerChanges,
) -> list[Draft]:
    """The programme office's key only: a producer's registration is the office's record."""
    producer = get_producer(session, producer_id)
    if ledger.role_of(session, request.actor).role != "admin":
        raise NotProducersActor("only the programme office updates a producer's registration")
    changes = _changes(session, producer, data)
    if not changes:
        raise ProducerInvalid("nothing to change", field="changes")
    return [Draft(STATEMENT, {"id": producer_id, "changes": changes})]


def update_producer(
    session: Session,
    ledger: Ledger,
    actor: str,
    producer_id: str,
    data: ProducerChanges,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, signature)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_update_producer(session, ledger, request, producer_id, data),
        op={"op": "update_producer", "id": producer_id, **_op(data)},
    )


def _op(data: ProducerChanges) -> dict[str, object]:
    values: dict[str, object] = dict(data.__dict__)
    values["address"] = None if data.address is None else dict(data.address.__dict__)
    return values
