"""Projections of ``producer.registered`` and ``producer.logo_set``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlalchemy.orm import Session

from traceapp.ledger_store.projections import Projector
from traceapp.ledger_store.sequencer import Appended
from traceapp.producers.models import Producer


def producer_registered(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    address = s["address"]
    session.add(
        Producer(
            public_id=s["id"],
            kind=s["kind"],
            name=s["name"],
            tax_code=s["tax_code"],
            province=address["province"],
            commune=address["commune"],
            street=address["street"],
            address_recorded_on=date.fromisoformat(address["recorded_on"]),
            gln=s["gln"],
            ledger_seq=appended.seq,
            updated_seq=appended.seq,
        )
    )


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
    "producer.logo_set": producer_logo_set,
}
