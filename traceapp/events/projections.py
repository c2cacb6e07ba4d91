"""Projections of ``event.recorded`` and ``event.error_declared``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ledger.jcs import canonicalize
from traceapp.batches.models import Batch, Item
from traceapp.db.statements import Lookup, RowsInsert, insert_together, unindexed
from traceapp.epcis.event_hash import web_vocabulary
from traceapp.events.epc import parse_epc
from traceapp.events.item_history import HISTORY_ROLES, note_steps, recount_steps
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


_ITEMS, _BATCHES, _PRODUCTS = Item.__table__, Batch.__table__, Product.__table__
_PRODUCERS = Producer.__table__
# The row IDs an event's rows point at are read by the INSERT itself (no round trip before it):
# an EPC of one of our items or batches, under any spelling, finds its row; any other finds none.
_ITEM_ID = Lookup(
    select(_ITEMS.c.id)
    .select_from(
        _ITEMS.join(_BATCHES, _ITEMS.c.batch_id == _BATCHES.c.id).join(
            _PRODUCTS, _BATCHES.c.product_id == _PRODUCTS.c.id
        )
    )
    .where(unindexed(_PRODUCTS.c.gtin) == bindparam("gtin"), _ITEMS.c.serial == bindparam("serial"))
)
_BATCH_ID = Lookup(
    select(_BATCHES.c.id)
    .select_from(_BATCHES.join(_PRODUCTS, _BATCHES.c.product_id == _PRODUCTS.c.id))
    .where(_PRODUCTS.c.gtin == bindparam("gtin"), _BATCHES.c.lot == bindparam("lot"))
)
_PRODUCER_ID = Lookup(
    select(_PRODUCERS.c.id).where(_PRODUCERS.c.public_id == bindparam("producer"))
)
# Inline: the generated keys are not fetched back (no RETURNING).
_EVENTS = RowsInsert(Event.__table__, lookups={"producer_id": _PRODUCER_ID})
_EPCS = RowsInsert(EventEpc.__table__, lookups={"item_id": _ITEM_ID, "batch_id": _BATCH_ID})
_EPCS_TABLE = EventEpc.__table__


def event_recorded(session: Session, appended: Appended) -> None:
    events_recorded(session, [appended])


def events_recorded(session: Session, run: Sequence[Appended]) -> None:
    """One INSERT per table for a whole bulk append, one query to resolve every EPC."""
    refs = [(a.seq, role, epc) for a in run for role, epc in event_epcs(a.entry.statement["event"])]
    keys = {epc: parse_epc(epc) for _, _, epc in refs}
    rows = []
    for appended in run:
        s = appended.entry.statement
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
                "producer": s["producer"] or None,
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
            "gtin": ref.gtin if ref else None,
            "serial": ref.serial if ref else None,
            "lot": ref.lot if ref else None,
        }
        for seq, role, epc in refs
        for ref in (keys[epc],)
    ]
    # One statement on PostgreSQL: the event rows are in place when the EPC rows' keys are checked.
    insert_together(session, [(_EVENTS, rows), (_EPCS, epc_rows)])
    if any(
        role in HISTORY_ROLES and ref is not None and ref.serial
        for _, role, epc in refs
        for ref in (keys[epc],)
    ):
        note_steps(session, run[0].seq, run[-1].seq)
    _apply_statuses(session, run)


def _apply_statuses(session: Session, run: Sequence[Appended]) -> None:
    """Dispositions that change an item's status, in log order (the last one wins): the items
    are those the event's EPC rows, just inserted, point at.

    An event captured already retracted (with its errorDeclaration) changes nothing.
    """
    for appended in run:
        event = appended.entry.statement["event"]
        status = status_of_event(short_cbv(event.get("disposition")), event.get("action"))
        if not status or isinstance(event.get("errorDeclaration"), dict):
            continue
        if any(
            role in ITEM_ROLES and (ref := parse_epc(epc)) is not None and ref.serial
            for role, epc in event_epcs(event)
        ):
            session.execute(_SET_STATUS, {"seq": appended.seq, "status": status})


_SET_STATUS = (
    update(Item)
    .where(
        Item.id.in_(
            select(_EPCS_TABLE.c.item_id).where(
                _EPCS_TABLE.c.event_seq == bindparam("seq"),
                _EPCS_TABLE.c.role.in_(ITEM_ROLES),
            )
        ),
        Item.status != "claimed",
    )
    .values(status=bindparam("status"), status_seq=bindparam("seq"))
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
    if retracted is None:
        return
    recount_steps(session, retracted.ledger_seq)
    if status_of_event(retracted.disposition, retracted.action):
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
