"""Projections of ``event.recorded`` and ``event.error_declared``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.orm import Session

from ledger.jcs import canonicalize
from traceapp.batches.models import Batch, Item
from traceapp.events.epc import parse_epc
from traceapp.events.models import Event, EventEpc
from traceapp.ledger_store.projections import projector
from traceapp.ledger_store.sequencer import Appended
from traceapp.producers.models import Producer
from traceapp.products.models import Product

# Dispositions (CBV 2.0 §7.2) that change an item's status.
STATUS_BY_DISPOSITION = {
    "retail_sold": "sold",
    "destroyed": "destroyed",
    "disposed": "destroyed",
    "recalled": "recalled",
}
CBV_PREFIXES = ("https://ref.gs1.org/cbv/BizStep-", "https://ref.gs1.org/cbv/Disp-")


def short_cbv(value: str | None) -> str | None:
    """CBV values are stored in their short form (``shipping``), extensions as URIs."""
    if value is None:
        return None
    for prefix in CBV_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def event_epcs(event: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(role, epc) for every EPC and EPC class the event names."""
    for epc in event.get("epcList", []):
        yield "epc", epc
    if "parentID" in event:
        yield "parent", event["parentID"]
    for epc in event.get("childEPCs", []):
        yield "child", epc
    for epc in event.get("inputEPCList", []):
        yield "input", epc
    for epc in event.get("outputEPCList", []):
        yield "output", epc
    for key, role in (
        ("quantityList", "quantity"),
        ("childQuantityList", "child"),
        ("inputQuantityList", "input"),
        ("outputQuantityList", "output"),
    ):
        for q in event.get(key, []):
            yield role, q["epcClass"]


def parse_event_time(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00"))


def _resolve(
    session: Session, refs: list[tuple[str, str]]
) -> tuple[dict[str, int], dict[str, int]]:
    """EPC -> item id and EPC class -> batch id, for the EPCs that are ours."""
    parsed = {epc: parse_epc(epc) for _, epc in refs}
    item_keys = {(r.gtin, r.serial) for r in parsed.values() if r and r.serial}
    batch_keys = {(r.gtin, r.lot) for r in parsed.values() if r and r.lot}
    items: dict[tuple[str, str], int] = {}
    batches: dict[tuple[str, str], int] = {}
    if item_keys:
        rows = session.execute(
            select(Product.gtin, Item.serial, Item.id)
            .join(Batch, Item.batch_id == Batch.id)
            .join(Product, Batch.product_id == Product.id)
            .where(tuple_(Product.gtin, Item.serial).in_(list(item_keys)))
        ).all()
        items = {(g, s): i for g, s, i in rows}
    if batch_keys:
        rows = session.execute(
            select(Product.gtin, Batch.lot, Batch.id)
            .join(Product, Batch.product_id == Product.id)
            .where(tuple_(Product.gtin, Batch.lot).in_(list(batch_keys)))
        ).all()
        batches = {(g, lot): b for g, lot, b in rows}
    item_ids = {
        epc: items[(r.gtin, r.serial)]
        for epc, r in parsed.items()
        if r and r.serial and (r.gtin, r.serial) in items
    }
    batch_ids = {
        epc: batches[(r.gtin, r.lot)]
        for epc, r in parsed.items()
        if r and r.lot and (r.gtin, r.lot) in batches
    }
    return item_ids, batch_ids


def _producer_id(session: Session, public_id: str | None) -> int | None:
    if public_id is None:
        return None
    return session.execute(select(Producer.id).where(Producer.public_id == public_id)).scalar_one()


@projector("event.recorded")
def event_recorded(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    event = s["event"]
    session.execute(
        insert(Event).values(
            public_id=s["id"],
            event_id=event["eventID"],
            type=event["type"],
            action=event.get("action"),
            event_time=parse_event_time(event),
            event_time_zone_offset=event["eventTimeZoneOffset"],
            biz_step=short_cbv(event.get("bizStep")),
            disposition=short_cbv(event.get("disposition")),
            read_point=(event.get("readPoint") or {}).get("id"),
            biz_location=(event.get("bizLocation") or {}).get("id"),
            producer_id=_producer_id(session, s["producer"]),
            document=canonicalize(event).decode(),
            ledger_seq=appended.seq,
        )
    )
    refs = list(event_epcs(event))
    if not refs:
        return
    item_ids, batch_ids = _resolve(session, refs)
    session.execute(
        insert(EventEpc),
        [
            {
                "event_seq": appended.seq,
                "role": role,
                "epc": epc,
                "item_id": item_ids.get(epc),
                "batch_id": batch_ids.get(epc),
            }
            for role, epc in refs
        ],
    )
    status = STATUS_BY_DISPOSITION.get(short_cbv(event.get("disposition")) or "")
    touched = [item_ids[epc] for role, epc in refs if role in ("epc", "child") and epc in item_ids]
    if status and touched and event.get("action") != "DELETE":
        session.execute(
            update(Item)
            .where(Item.id.in_(touched), Item.status != "claimed")
            .values(status=status, status_seq=appended.seq)
        )


@projector("event.error_declared")
def event_error_declared(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    session.execute(
        update(Event)
        .where(Event.event_id == s["event_id"])
        .values(error_declared_seq=appended.seq, error_reason=s["reason"])
    )
