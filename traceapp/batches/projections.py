"""Projections of ``batch.created``, ``items.issued`` and ``item.claimed``."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch, BatchInput, Item
from traceapp.ledger_store.projections import Projector
from traceapp.ledger_store.sequencer import Appended
from traceapp.locations.models import Location
from traceapp.products.projections import product_pk


def batch_pk(session: Session, public_id: str) -> int:
    return session.execute(select(Batch.id).where(Batch.public_id == public_id)).scalar_one()


def batch_created(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    origin = None
    if s["origin"] is not None:
        origin = session.execute(
            select(Location.id).where(Location.public_id == s["origin"])
        ).scalar_one()
    batch = Batch(
        public_id=s["id"],
        product_id=product_pk(session, s["product"]),
        lot=s["lot"],
        production_date=date.fromisoformat(s["production_date"]),
        expiry_date=date.fromisoformat(s["expiry_date"]) if s["expiry_date"] else None,
        quantity=Decimal(s["quantity"]) if s["quantity"] is not None else None,
        unit=s["unit"],
        origin_location_id=origin,
        ledger_seq=appended.seq,
    )
    session.add(batch)
    session.flush()
    for input_id in s["inputs"]:
        session.add(BatchInput(batch_id=batch.id, input_batch_id=batch_pk(session, input_id)))


def items_issued(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    batch_id = batch_pk(session, s["batch"])
    session.execute(
        insert(Item),
        [
            {
                "public_id": item["id"],
                "batch_id": batch_id,
                "serial": item["serial"],
                "pin_digest": base64.b64decode(item["pin"]) if item["pin"] else None,
                "status": "active",
                "issued_seq": appended.seq,
                "status_seq": appended.seq,
            }
            for item in s["items"]
        ],
    )


def item_claimed(session: Session, appended: Appended) -> None:
    session.execute(
        update(Item)
        .where(Item.public_id == appended.entry.statement["item"])
        .values(status="claimed", status_seq=appended.seq)
    )


# Registered by the app (traceapp/projectors.py): what each statement type changes here.
PROJECTORS: dict[str, Projector] = {
    "batch.created": batch_created,
    "items.issued": items_issued,
    "item.claimed": item_claimed,
}
