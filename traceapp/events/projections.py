"""Projections of ``event.recorded`` and ``event.error_declared``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.orm import Session

from ledger.jcs import canonicalize
from traceapp.batches.models import Batch, Item
from traceapp.db.statements import Prepared, RowsInsert, insert_together, read_together
from traceapp.epcis.event_hash import web_vocabulary
from traceapp.events.epc import EpcRef, parse_epc
from traceapp.events.models import Event, EventEpc
from traceapp.events.retraction import ITEM_ROLES, restore_statuses, status_of_event
from traceapp.gs1.canonical_link import canonical_digital_link
from traceapp.ledger_store.projections import BatchProjector, Projector
from traceapp.ledger_store.sequencer import Appended
from traceapp.producers.models import Producer
from traceapp.products.models import Product

CBV_PREFIXES = ("https://ref.gs1.org/cbv/BizStep-", "https://ref.gs1.org/cbv/Disp-")
CBV_ERROR_REASON = "https://ref.gs1.org/cbv/ER-"


def short_cbv(value: str | None) -> str | None:
    """CBV values are stored in their short form (``shipping``), extensions as URIs.

    EPCIS 1.x URNs (``urn:epcglobal:cbv:bizstep:shipping``) count as the value they name.
    """
    if value is None:
        return None
    if value.startswith("urn:epcglobal:cbv:"):
        value = web_vocabulary(value)
    for prefix in CBV_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def error_reason(reason: object) -> str | None:
    """An errorDeclaration reason as stored: CBV names (bare or URN) as web URIs."""
    if not isinstance(reason, str) or not reason:
        return None
    reason = web_vocabulary(reason)
    return reason if ":" in reason else CBV_ERROR_REASON + reason


def stored_epc(epc: str) -> str:
    """EPCs are indexed as canonical GS1 Digital Links, so URN and DL spellings match alike."""
    return canonical_digital_link(epc) or epc


def event_epcs(event: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(role, epc) for every EPC and EPC class the event names, as stored (``stored_epc``)."""
    for role, epc in _raw_epcs(event):
        yield role, stored_epc(epc) if isinstance(epc, str) else epc


def _raw_epcs(event: dict[str, Any]) -> Iterator[tuple[str, str]]:
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


_CHUNK = 500  # keys per IN list: PostgreSQL refuses very long row-value lists
# Up to this many keys an append looks each one up with a prepared read, all of them in one
# round trip (``read_together``); a bulk append or an import uses chunked IN lists instead.
_FEW_KEYS = 64
_ITEMS, _BATCHES, _PRODUCTS = Item.__table__, Batch.__table__, Product.__table__
_ITEM_ID = Prepared(
    select(_ITEMS.c.id)
    .select_from(
        _ITEMS.join(_BATCHES, _ITEMS.c.batch_id == _BATCHES.c.id).join(
            _PRODUCTS, _BATCHES.c.product_id == _PRODUCTS.c.id
        )
    )
    .where(_PRODUCTS.c.gtin == bindparam("gtin"), _ITEMS.c.serial == bindparam("key"))
)
_BATCH_ID = Prepared(
    select(_BATCHES.c.id)
    .select_from(_BATCHES.join(_PRODUCTS, _BATCHES.c.product_id == _PRODUCTS.c.id))
    .where(_PRODUCTS.c.gtin == bindparam("gtin"), _BATCHES.c.lot == bindparam("key"))
)


def _row_ids(
    session: Session, producers: set[str], epcs: Sequence[str]
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Producer public ID -> row ID, and EPC -> item and EPC class -> batch row IDs (ours)."""
    parsed = {epc: parse_epc(epc) for epc in epcs}
    if len(producers) + len(parsed) > _FEW_KEYS:
        return (_producer_ids(session, producers), *_resolve(session, parsed))
    named = sorted(producers)
    keyed = [
        (epc, ref, key)
        for epc, ref in parsed.items()
        if ref is not None and (key := ref.serial or ref.lot) is not None
    ]
    reads = [(_PRODUCER_ID, {"public_id": public_id}) for public_id in named]
    reads += [
        (_ITEM_ID if ref.serial else _BATCH_ID, {"gtin": ref.gtin, "key": key})
        for _, ref, key in keyed
    ]
    found = read_together(session, reads)
    producer_ids = {p: rows[0][0] for p, rows in zip(named, found, strict=False) if rows}
    item_ids: dict[str, int] = {}
    batch_ids: dict[str, int] = {}
    for (epc, ref, _key), rows in zip(keyed, found[len(named) :], strict=True):
        if rows:
            (item_ids if ref.serial else batch_ids)[epc] = rows[0][0]
    return producer_ids, item_ids, batch_ids


def _our_gtins(session: Session, gtins: set[str]) -> set[str]:
    ours: set[str] = set()
    listed = sorted(gtins)
    for start in range(0, len(listed), _CHUNK):
        chunk = listed[start : start + _CHUNK]
        ours.update(session.execute(select(Product.gtin).where(Product.gtin.in_(chunk))).scalars())
    return ours


def _resolve(
    session: Session, parsed: dict[str, EpcRef | None]
) -> tuple[dict[str, int], dict[str, int]]:
    """EPC -> item id and EPC class -> batch id, for the EPCs that are ours.

    Imported events mostly name other companies' EPCs: only keys under one of our GTINs are
    looked up, in chunks.
    """
    ours = _our_gtins(session, {r.gtin for r in parsed.values() if r})
    item_keys = sorted(
        {(r.gtin, r.serial) for r in parsed.values() if r and r.serial and r.gtin in ours}
    )
    batch_keys = sorted(
        {(r.gtin, r.lot) for r in parsed.values() if r and r.lot and r.gtin in ours}
    )
    items: dict[tuple[str, str], int] = {}
    batches: dict[tuple[str, str], int] = {}
    for start in range(0, len(item_keys), _CHUNK):
        rows = session.execute(
            select(Product.gtin, Item.serial, Item.id)
            .join(Batch, Item.batch_id == Batch.id)
            .join(Product, Batch.product_id == Product.id)
            .where(tuple_(Product.gtin, Item.serial).in_(item_keys[start : start + _CHUNK]))
        ).all()
        items.update(((g, s), i) for g, s, i in rows)
    for start in range(0, len(batch_keys), _CHUNK):
        rows = session.execute(
            select(Product.gtin, Batch.lot, Batch.id)
            .join(Product, Batch.product_id == Product.id)
            .where(tuple_(Product.gtin, Batch.lot).in_(batch_keys[start : start + _CHUNK]))
        ).all()
        batches.update(((g, lot), b) for g, lot, b in rows)
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


def _producer_ids(session: Session, public_ids: set[str]) -> dict[str, int]:
    if not public_ids:
        return {}
    rows = session.execute(_PRODUCERS_BY_PUBLIC_ID, {"ids": sorted(public_ids)})
    return {public_id: pk for public_id, pk in rows}


_PRODUCERS = Producer.__table__
_PRODUCERS_BY_PUBLIC_ID = select(_PRODUCERS.c.public_id, _PRODUCERS.c.id).where(
    _PRODUCERS.c.public_id.in_(bindparam("ids", expanding=True))
)
_PRODUCER_ID = Prepared(
    select(_PRODUCERS.c.id).where(_PRODUCERS.c.public_id == bindparam("public_id"))
)
# Inline: the generated keys are not fetched back (no RETURNING).
_EVENTS = RowsInsert(Event.__table__)
_EPCS = RowsInsert(EventEpc.__table__)


def event_recorded(session: Session, appended: Appended) -> None:
    events_recorded(session, [appended])


def events_recorded(session: Session, run: Sequence[Appended]) -> None:
    """One INSERT per table for a whole bulk append, one query to resolve every EPC."""
    statements = [a.entry.statement for a in run]
    refs = [(a.seq, role, epc) for a in run for role, epc in event_epcs(a.entry.statement["event"])]
    producers, item_ids, batch_ids = _row_ids(
        session,
        {s["producer"] for s in statements if s["producer"]},
        list(dict.fromkeys(epc for _, _, epc in refs)),
    )
    rows = []
    for appended, s in zip(run, statements, strict=True):
        event = s["event"]
        # An event captured with its errorDeclaration (its original was never recorded here)
        # is recorded already retracted.
        declaration = event.get("errorDeclaration")
        declared = isinstance(declaration, dict)
        rows.append(
            {
                "public_id": s["id"],
                "event_id": event["eventID"],
                "type": event["type"],
                "action": event.get("action"),
                "event_time": parse_event_time(event),
                "event_time_zone_offset": event["eventTimeZoneOffset"],
                "biz_step": short_cbv(event.get("bizStep")),
                "disposition": short_cbv(event.get("disposition")),
                "read_point": (event.get("readPoint") or {}).get("id"),
                "biz_location": (event.get("bizLocation") or {}).get("id"),
                "producer_id": producers.get(s["producer"]) if s["producer"] else None,
                "document": canonicalize(event).decode(),
                "ledger_seq": appended.seq,
                "record_time": datetime.fromisoformat(
                    appended.entry.recorded.replace("Z", "+00:00")
                ),
                "error_declared_seq": appended.seq if declared else None,
                "error_reason": error_reason(declaration.get("reason")) if declared else None,
            }
        )
    epc_rows = [
        {
            "event_seq": seq,
            "role": role,
            "epc": epc,
            "item_id": item_ids.get(epc),
            "batch_id": batch_ids.get(epc),
        }
        for seq, role, epc in refs
    ]
    # One statement on PostgreSQL: the event rows are in place when the EPC rows' keys are checked.
    insert_together(session, [(_EVENTS, rows), (_EPCS, epc_rows)])
    _apply_statuses(session, run, item_ids)


def _apply_statuses(session: Session, run: Sequence[Appended], item_ids: dict[str, int]) -> None:
    """Dispositions that change an item's status, in log order (the last one wins).

    An event captured already retracted (with its errorDeclaration) changes nothing.
    """
    for appended in run:
        event = appended.entry.statement["event"]
        status = status_of_event(short_cbv(event.get("disposition")), event.get("action"))
        if not status or isinstance(event.get("errorDeclaration"), dict):
            continue
        touched = [
            item_ids[epc]
            for role, epc in event_epcs(event)
            if role in ITEM_ROLES and epc in item_ids
        ]
        if touched:
            session.execute(
                update(Item)
                .where(Item.id.in_(touched), Item.status != "claimed")
                .values(status=status, status_seq=appended.seq)
            )


def event_error_declared(session: Session, appended: Appended) -> None:
    """The event is marked retracted, and the items whose status it set get theirs back."""
    s = appended.entry.statement
    retracted = session.execute(
        update(Event)
        .where(Event.event_id == s["event_id"])
        .values(error_declared_seq=appended.seq, error_reason=s["reason"])
        .returning(Event.ledger_seq, Event.disposition, Event.action)
    ).first()
    if retracted is not None and status_of_event(retracted.disposition, retracted.action):
        restore_statuses(session, appended.entry.log, retracted.ledger_seq)


# Registered by the app (traceapp/projectors.py): what each statement type changes here.
PROJECTORS: dict[str, Projector] = {
    "event.recorded": event_recorded,
    "event.error_declared": event_error_declared,
}
# Runs of consecutive entries applied in one go (bulk appends).
BATCH_PROJECTORS: dict[str, BatchProjector] = {
    "event.recorded": events_recorded,
}
