"""Plausibility rules of every event write, whatever the door (``docs/rules.md``).

Refused, because they cannot be right: an event time in the future beyond the clock skew, and
a step the state of one of our items rules out, dated at or after what set that state (anything
after a destruction; anything but a return after a retail sale, or but a return or destruction
after a recall). A step dated before it is history filled in late (a corrective event, a late
capture): it passes with a notice. Reported as notices, because they may be right: a step dated
before the item's last one, a step on an item its buyer claimed, a second commissioning. Item rules apply to our items only (EPCs that resolve to a
row of ``items``): other companies' EPCs in a partner's document are not ours to police.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch, Item
from traceapp.db.statements import unindexed
from traceapp.events.epc import parse_epc
from traceapp.events.errors import EventNotice, ImplausibleEvent
from traceapp.events.models import Event, EventEpc
from traceapp.events.ownership import named_objects
from traceapp.events.projections import short_cbv
from traceapp.events.retraction import ITEM_ROLES, status_of_event
from traceapp.products.models import Product
from traceapp.recalls.models import Recall

DEFAULT_CLOCK_SKEW = timedelta(minutes=5)
# EPCIS fields naming items a step is done to (a transformation's outputs are new items).
_STEP_FIELDS = ("epcList", "parentID", "childEPCs", "inputEPCList")
_CHUNK = 500


def event_moment(event: Mapping[str, Any]) -> datetime:
    moment = datetime.fromisoformat(str(event["eventTime"]).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_event_time(
    event: Mapping[str, Any], index: int, now: datetime, skew: timedelta = DEFAULT_CLOCK_SKEW
) -> None:
    """Refuse an event dated later than ``now`` plus the allowed clock skew."""
    if event_moment(event) > now + skew:
        minutes = int(skew.total_seconds() // 60)
        raise ImplausibleEvent(
            f"eventTime is in the future (more than {minutes} minutes after the server's clock)",
            field=f"events.{index}.eventTime",
            code="EVENT_IN_FUTURE",
            params={"minutes": minutes},
        )


@dataclass
class ItemState:
    """What the rules need of one of our items: its status, the ledger index that set it,
    the last non-retracted return naming it, and its latest step's time."""

    public_id: str
    status: str
    status_seq: int
    status_time: datetime | None  # when the event (or recall) that set the status happened
    returned_seq: int | None
    last_time: datetime | None

    @property
    def sold(self) -> bool:
        """Sold at retail and not returned since."""
        return self.status == "sold" and (
            self.returned_seq is None or self.returned_seq < self.status_seq
        )


_ITEMS, _BATCHES, _PRODUCTS = Item.__table__, Batch.__table__, Product.__table__
_EVENTS, _EPCS = Event.__table__, EventEpc.__table__
_RECALLS = Recall.__table__
_ITEM_STATES = (
    select(
        _ITEMS.c.id,
        _ITEMS.c.public_id,
        _ITEMS.c.serial,
        _PRODUCTS.c.gtin,
        _ITEMS.c.status,
        _ITEMS.c.status_seq,
        func.coalesce(_EVENTS.c.event_time, _RECALLS.c.issued_at).label("status_time"),
        _ITEMS.c.last_step_time,
        _ITEMS.c.returned_seq,
    )
    .select_from(
        _ITEMS.join(_BATCHES, _ITEMS.c.batch_id == _BATCHES.c.id)
        .join(_PRODUCTS, _BATCHES.c.product_id == _PRODUCTS.c.id)
        .outerjoin(_EVENTS, _EVENTS.c.ledger_seq == _ITEMS.c.status_seq)
        .outerjoin(_RECALLS, _RECALLS.c.ledger_seq == _ITEMS.c.status_seq)
    )
    .where(
        _ITEMS.c.serial.in_(bindparam("serials", expanding=True)),
        unindexed(_PRODUCTS.c.gtin).in_(bindparam("gtins", expanding=True)),
    )
)


def _step_items(event: Mapping[str, Any]) -> Iterator[tuple[str, tuple[str, str]]]:
    """(EPCIS field, (GTIN, serial)) for each serialised EPC the event does a step to."""
    for key, epc in named_objects(event):
        if key in _STEP_FIELDS and (ref := parse_epc(epc)) is not None and ref.serial:
            yield key, (ref.gtin, ref.serial)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive UTC date-times.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class ItemRules:
    """The item rules over one write's events, in order: each planned event's effect on its
    items is applied before the next is checked, so a bulk cannot sell and then pack."""

    def __init__(self) -> None:
        self.states: dict[tuple[str, str], ItemState] = {}
        self._next_seq = 1 << 62  # above every ledger index: this write's own events

    def load(self, session: Session, events: Iterable[Mapping[str, Any]]) -> None:
        keys = {key for event in events for _, key in _step_items(event)}
        serials = sorted({serial for _, serial in keys})
        gtins = sorted({gtin for gtin, _ in keys})
        for start in range(0, len(serials), _CHUNK):
            rows = session.execute(
                _ITEM_STATES, {"serials": serials[start : start + _CHUNK], "gtins": gtins}
            )
            for row in rows:
                if (row.gtin, row.serial) in keys:
                    state = ItemState(
                        row.public_id,
                        row.status,
                        row.status_seq,
                        _aware(row.status_time),
                        row.returned_seq,
                        _aware(row.last_step_time),
                    )
                    self.states[(row.gtin, row.serial)] = state

    def check(self, event: Mapping[str, Any], index: int) -> list[EventNotice]:
        """Raise the refusal of the first item the event may not name; the notices else."""
        if isinstance(event.get("errorDeclaration"), dict):
            return []  # captured already retracted: it changes no item
        step = short_cbv(event.get("bizStep"))
        disposition = short_cbv(event.get("disposition"))
        is_return = disposition == "returned"
        is_destruction = step == "destroying" or disposition in ("destroyed", "disposed")
        when = event_moment(event)
        notices: list[EventNotice] = []
        noticed: set[tuple[str, str]] = set()  # an item named twice is noticed once
        for key, item in _step_items(event):
            state = self.states.get(item)
            if state is None:
                continue
            where = f"events.{index}.{key}"
            if state.status_time is not None and when < state.status_time:
                # History filled in: dated before the sale, destruction or recall.
                if item not in noticed:
                    noticed.add(item)
                    notices.extend(self._notices(state, step, event, when, where))
                continue
            params = {"item": state.public_id}
            if state.status == "destroyed":
                raise ImplausibleEvent(
                    f"item {state.public_id} was destroyed: no step may follow",
                    field=where,
                    code="ITEM_DESTROYED",
                    params=params,
                )
            if state.status == "recalled" and not (is_return or is_destruction):
                raise ImplausibleEvent(
                    f"item {state.public_id} is recalled: only its return (disposition "
                    "returned) or destruction may follow",
                    field=where,
                    code="ITEM_RECALLED",
                    params=params,
                )
            if state.sold and not is_return:
                raise ImplausibleEvent(
                    f"item {state.public_id} was sold at retail: only a return (disposition "
                    "returned) may follow",
                    field=where,
                    code="ITEM_SOLD",
                    params=params,
                )
            if item not in noticed:
                noticed.add(item)
                notices.extend(self._notices(state, step, event, when, where))
        return notices

    @staticmethod
    def _notices(
        state: ItemState, step: str | None, event: Mapping[str, Any], when: datetime, where: str
    ) -> Iterator[EventNotice]:
        params = {"item": state.public_id}
        if state.status == "claimed" and short_cbv(event.get("disposition")) != "returned":
            yield EventNotice(
                f"item {state.public_id} was claimed by its buyer", where, "ITEM_CLAIMED", params
            )
        if state.last_time is not None and when < state.last_time:
            yield EventNotice(
                f"eventTime is before the last recorded step of item {state.public_id}",
                where,
                "EVENT_BEFORE_LAST_STEP",
                params,
            )
        if step == "commissioning" and state.last_time is not None:
            yield EventNotice(
                f"item {state.public_id} has recorded steps already: commissioned again?",
                where,
                "ITEM_COMMISSIONED_AGAIN",
                params,
            )

    def apply(self, event: Mapping[str, Any]) -> None:
        """What the recorded event does to our items, for the events after it."""
        if isinstance(event.get("errorDeclaration"), dict):
            return
        seq, self._next_seq = self._next_seq, self._next_seq + 1
        disposition = short_cbv(event.get("disposition"))
        status = status_of_event(disposition, event.get("action"))
        roles = {"epcList": "epc", "childEPCs": "child", "parentID": "parent"}
        when = event_moment(event)
        for key, item in _step_items(event):
            state = self.states.get(item)
            if state is None:
                continue
            if status and roles.get(key) in ITEM_ROLES and state.status != "claimed":
                state.status, state.status_seq, state.status_time = status, seq, when
            if disposition == "returned":
                state.returned_seq = seq
            if state.last_time is None or when > state.last_time:
                state.last_time = when
