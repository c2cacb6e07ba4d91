"""Projections of the producer statements: registration, logo, public details, suspension.

Each statement of ``HISTORY_TYPES`` also adds its row to ``producer_changes``, the index of a
producer's history; the search keys follow every name and address the ledger records.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from traceapp.i18n import place_key, search_key
from traceapp.ledger_store.projections import Projector
from traceapp.ledger_store.sequencer import Appended
from traceapp.producers.models import Producer, ProducerChange


def _address(address: dict[str, Any]) -> dict[str, object]:
    return {
        "province": address["province"],
        "commune": address["commune"],
        "street": address["street"],
        "address_recorded_on": date.fromisoformat(address["recorded_on"]),
        "province_key": place_key(address["province"]),
        "commune_key": place_key(address["commune"]),
    }


def _changed(session: Session, appended: Appended) -> int:
    """The producer's row ID, with the entry added to its history."""
    s = appended.entry.statement
    pk = session.execute(select(Producer.id).where(Producer.public_id == s["id"])).scalar_one()
    session.add(ProducerChange(seq=appended.seq, producer_id=pk, type=appended.entry.type))
    return pk


def producer_registered(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    producer = Producer(
        public_id=s["id"],
        kind=s["kind"],
        name=s["name"],
        name_key=search_key(s["name"]),
        tax_code=s["tax_code"],
        gln=s["gln"],
        ledger_seq=appended.seq,
        updated_seq=appended.seq,
        **_address(s["address"]),
    )
    session.add(producer)
    session.flush()
    session.add(
        ProducerChange(seq=appended.seq, producer_id=producer.id, type="producer.registered")
    )


def producer_updated(session: Session, appended: Appended) -> None:
    changes = appended.entry.statement["changes"]
    values: dict[str, object] = {"updated_seq": appended.seq}
    for key in ("kind", "tax_code", "gln"):
        if key in changes:
            values[key] = changes[key]
    if "name" in changes:
        values["name"] = changes["name"]
        values["name_key"] = search_key(changes["name"])
    if "address" in changes:
        values.update(_address(changes["address"]))
    pk = _changed(session, appended)
    session.execute(update(Producer).where(Producer.id == pk).values(**values))


def producer_suspended(session: Session, appended: Appended) -> None:
    pk = _changed(session, appended)
    session.execute(update(Producer).where(Producer.id == pk).values(suspended_seq=appended.seq))


def producer_resumed(session: Session, appended: Appended) -> None:
    pk = _changed(session, appended)
    session.execute(update(Producer).where(Producer.id == pk).values(suspended_seq=None))


def producer_logo_set(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    session.execute(
        update(Producer)
        .where(Producer.public_id == s["id"])
        .values(logo_sha256=s["logo"]["sha256"], logo=s["logo"], logo_seq=appended.seq)
    )


# Registered by the app (traceapp/projectors.py): what each statement type changes here.
PROJECTORS: dict[str, Projector] = {
    "producer.registered": producer_registered,
    "producer.updated": producer_updated,
    "producer.suspended": producer_suspended,
    "producer.resumed": producer_resumed,
    "producer.logo_set": producer_logo_set,
}
