"""Projections of ``location.registered`` and ``location.updated``."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.orm import Session

from traceapp.ledger_store.projections import Projector
from traceapp.ledger_store.sequencer import Appended
from traceapp.locations.models import Location
from traceapp.products.projections import producer_pk


def location_registered(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    address = s["address"]
    geo = s.get("geo")  # only in statements that give a position
    session.add(
        Location(
            public_id=s["id"],
            producer_id=producer_pk(session, s["producer"]),
            gln=s["gln"],
            code=s["code"],
            name=s["name"],
            kind=s["kind"],
            province=address["province"],
            commune=address["commune"],
            street=address["street"],
            latitude=Decimal(geo["lat"]) if geo else None,
            longitude=Decimal(geo["lon"]) if geo else None,
            ledger_seq=appended.seq,
            updated_seq=appended.seq,
        )
    )


def location_updated(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    changes = s["changes"]
    values: dict[str, object] = {"updated_seq": appended.seq}
    for key in ("name", "kind"):
        if key in changes:
            values[key] = changes[key]
    if "address" in changes:
        values.update(changes["address"])
    if "geo" in changes:
        geo = changes["geo"]
        values["latitude"] = Decimal(geo["lat"]) if geo else None
        values["longitude"] = Decimal(geo["lon"]) if geo else None
    session.execute(update(Location).where(Location.public_id == s["id"]).values(**values))


# Registered by the app (traceapp/projectors.py): what each statement type changes here.
PROJECTORS: dict[str, Projector] = {
    "location.registered": location_registered,
    "location.updated": location_updated,
}
