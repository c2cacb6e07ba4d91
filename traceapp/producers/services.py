"""Producers: registration, with personal fields kept off the ledger (principle 5)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.db.statements import Prepared
from traceapp.gs1.identifiers import normalise_gln
from traceapp.keys.services import create_custodial_key
from traceapp.ledger_store.models import ActorKey
from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Draft, Ledger, RegisteredKey
from traceapp.producers.errors import (
    NotProducersActor,
    ProducerExists,
    ProducerInvalid,
    ProducerNotFound,
    ProducerSuspended,
)
from traceapp.producers.models import PERSONAL_FIELDS, PRODUCER_KINDS, PersonalData, Producer


@dataclass(frozen=True)
class ProducerInput:
    kind: str
    name: str
    province: str
    address_recorded_on: date | str
    tax_code: str | None = None
    commune: str | None = None
    street: str | None = None
    gln: str | None = None
    personal: dict[str, str] = field(default_factory=dict)


def personal_digest(salt: bytes, value: str) -> bytes:
    """SHA-256(salt || value): what the ledger holds instead of a personal field."""
    return hashlib.sha256(salt + value.encode()).digest()


def _validated(session: Session, data: ProducerInput) -> dict[str, object]:
    tax_code = v.text(data.tax_code, "taxCode", max_length=20, required=False)
    if tax_code is not None:
        if not tax_code.replace("-", "").isdigit():
            raise ProducerInvalid("must be digits (10 or 13, with '-')", field="taxCode")
        if session.execute(select(Producer.id).where(Producer.tax_code == tax_code)).first():
            raise ProducerExists("a producer with this tax code exists", field="taxCode")
    gln = None if not data.gln else v.gs1(normalise_gln, data.gln, "gln")
    if gln and session.execute(select(Producer.id).where(Producer.gln == gln)).first():
        raise ProducerExists("a producer with this GLN exists", field="gln")
    for name in data.personal:
        v.choice(name, f"personal.{name}", PERSONAL_FIELDS)
    return {
        "kind": v.choice(data.kind, "kind", PRODUCER_KINDS),
        "name": v.required_text(data.name, "name", max_length=300),
        "tax_code": tax_code,
        "address": {
            "province": v.required_text(data.province, "province", max_length=100),
            "commune": v.text(data.commune, "commune", max_length=100, required=False),
            "street": v.text(data.street, "street", max_length=300, required=False),
            "recorded_on": v.iso_date(data.address_recorded_on, "addressRecordedOn").isoformat(),
        },
        "gln": gln,
    }


def _plan(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    data: ProducerInput,
    personal: dict[str, tuple[bytes, str]],
) -> list[Draft]:
    """The statement, and in ``personal`` each personal field's salt and value (off-ledger)."""
    if ledger.role_of(session, request.actor).role != "admin":
        raise NotProducersActor("only the programme office registers producers")
    ids = request.ids(ledger)
    statement = _validated(session, data)
    public_id = ids.public_id("pro")
    digests: dict[str, str] = {}
    for name, raw in sorted(data.personal.items()):
        value = v.required_text(raw, f"personal.{name}", max_length=300)
        salt = ids.salt()
        personal[name] = (salt, value)
        digests[name] = base64.b64encode(personal_digest(salt, value)).decode()
    return [Draft("producer.registered", {"id": public_id, **statement, "personal": digests})]


def plan_register_producer(
    session: Session, ledger: Ledger, request: WriteRequest, data: ProducerInput
) -> list[Draft]:
    return _plan(session, ledger, request, data, {})


def register_producer(
    session: Session,
    ledger: Ledger,
    actor: str,
    data: ProducerInput,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
    custodial_key: bool = True,
) -> Receipt:
    """Register a producer (admin only) and, by default, give it a custodial signing key."""
    request = WriteRequest(actor, idempotency_key, signature)
    return register_producer_as(session, ledger, request, data, custodial_key=custodial_key)


def register_producer_as(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    data: ProducerInput,
    *,
    custodial_key: bool = True,
) -> Receipt:
    """``register_producer`` for a prepared request (the console's, which names its member)."""
    personal: dict[str, tuple[bytes, str]] = {}
    receipt = perform(
        session,
        ledger,
        request,
        lambda: _plan(session, ledger, request, data, personal),
        op={"op": "register_producer", **data.__dict__},
    )
    if not receipt.replayed:
        producer_id = receipt.public_ids[0]
        for name, (salt, value) in personal.items():
            session.add(
                PersonalData(
                    producer_public_id=producer_id,
                    field=name,
                    salt=salt,
                    value=value,
                    digest=personal_digest(salt, value),
                )
            )
        if custodial_key:
            create_custodial_key(
                session, ledger, request.actor, f"ocop-{producer_id}", "producer", producer_id
            )
    return receipt


def get_producer(session: Session, public_id: str) -> Producer:
    producer = session.execute(
        select(Producer).where(Producer.public_id == public_id)
    ).scalar_one_or_none()
    if producer is None:
        raise ProducerNotFound(f"no producer {public_id}", field="producer")
    return producer


def producer_key(session: Session, producer_public_id: str) -> str:
    """The producer's active signing key (the first registered one)."""
    name = session.execute(
        select(ActorKey.key_name)
        .where(
            ActorKey.producer_public_id == producer_public_id,
            ActorKey.revoked_seq.is_(None),
        )
        .order_by(ActorKey.registered_seq)
        .limit(1)
    ).scalar_one_or_none()
    if name is None:
        raise ProducerNotFound(f"producer {producer_public_id} has no active key", field="producer")
    return name


def may_act_for(key: RegisteredKey, producer: str) -> bool:
    """The ownership rule of every write: an admin's key, or that producer's own key."""
    return key.role == "admin" or (key.role == "producer" and key.producer_public_id == producer)


def not_producers_actor(actor: str, producer: str, field_name: str) -> NotProducersActor:
    """The one refusal of the ownership rule, worded the same by every door."""
    return NotProducersActor(f"{actor} may not act for producer {producer}", field=field_name)


def require_producer_actor(session: Session, ledger: Ledger, actor: str, producer: str) -> None:
    """An actor may write for a producer if it is an admin or that producer's own key, and a
    producer's key only while its producer is not suspended."""
    key = ledger.role_of(session, actor)
    if not may_act_for(key, producer):
        raise not_producers_actor(actor, producer, "producer")
    refuse_suspended(session, key)


_SUSPENDED_SEQ = Prepared(
    select(Producer.__table__.c.suspended_seq).where(
        Producer.__table__.c.public_id == bindparam("public_id")
    )
)


def refuse_suspended(session: Session, key: RegisteredKey) -> None:
    """A producer's key signs nothing while its producer is suspended (``producer.suspended``
    until ``producer.resumed``). The app's ``Ledger`` asks this for every statement it signs,
    whatever the door; the office's keys are never refused by it."""
    if key.role != "producer" or key.producer_public_id is None:
        return
    row = _SUSPENDED_SEQ.first(session, {"public_id": key.producer_public_id})
    if row is not None and row.suspended_seq is not None:
        raise ProducerSuspended(
            f"producer {key.producer_public_id} is suspended by the programme office: nothing "
            "is written for it until the office resumes it",
            field="producer",
            params={"producer": key.producer_public_id},
        )


def erase_personal_data(session: Session, producer_public_id: str) -> int:
    """Delete the values and salts; the digests stay, so the ledger and its proofs still verify."""
    rows = session.execute(
        select(PersonalData).where(PersonalData.producer_public_id == producer_public_id)
    ).scalars()
    count = 0
    for row in rows:
        if row.value is not None or row.salt is not None:
            row.value = None
            row.salt = None
            count += 1
    return count
