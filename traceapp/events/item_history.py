"""What the plausibility rules need of an item's history, kept on its row as events land:
the time of its latest step and the ledger index of its latest return (both of non-retracted
events). Read in O(1) by ``events.plausibility`` instead of aggregating every event an item
ever had, so an append's cost does not grow with the item's history (issue 19)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from traceapp.batches.models import Item
from traceapp.events.models import Event, EventEpc

# The roles in which an event does a step to an item (a transformation's outputs are new items).
HISTORY_ROLES = ("epc", "parent", "child", "input")

_ITEMS = cast(Table, Item.__table__)  # a mapped class's table: updated with Core, no ORM sync
_EVENTS, _EPCS = Event.__table__, EventEpc.__table__
_STEPS = _EPCS.join(_EVENTS, _EPCS.c.event_seq == _EVENTS.c.ledger_seq)


def _latest() -> tuple[ColumnElement[object], ColumnElement[object]]:
    """The newest step time and return index of the item being updated, over its history."""
    own = and_(
        _EPCS.c.item_id == _ITEMS.c.id,
        _EPCS.c.role.in_(HISTORY_ROLES),
        _EVENTS.c.error_declared_seq.is_(None),
    )
    newest = select(func.max(_EVENTS.c.event_time)).select_from(_STEPS).where(own)
    returned = (
        select(func.max(_EVENTS.c.ledger_seq))
        .select_from(_STEPS)
        .where(own, _EVENTS.c.disposition == "returned")
    )
    return newest.scalar_subquery(), returned.scalar_subquery()


def _named(where: ColumnElement[bool]) -> ColumnElement[bool]:
    return _ITEMS.c.id.in_(select(_EPCS.c.item_id).where(where, _EPCS.c.role.in_(HISTORY_ROLES)))


# Appended events, aggregated per item from the run's own EPC rows (an index range on
# event_seq; a subquery correlated on the item would read the item's whole history).
_RUN = (
    select(
        _EPCS.c.item_id,
        func.max(_EVENTS.c.event_time).label("newest"),
        func.max(case((_EVENTS.c.disposition == "returned", _EVENTS.c.ledger_seq))).label(
            "returned"
        ),
    )
    .select_from(_STEPS)
    .where(
        _EPCS.c.event_seq.between(bindparam("first"), bindparam("last")),
        _EPCS.c.role.in_(HISTORY_ROLES),
        _EPCS.c.item_id.is_not(None),
        _EVENTS.c.error_declared_seq.is_(None),
    )
    .group_by(_EPCS.c.item_id)
    .subquery()
)
# Each item they name moves forward (events may arrive out of time order): UPDATE ... FROM.
_NOTE = (
    update(_ITEMS)
    .where(_ITEMS.c.id == _RUN.c.item_id)
    .values(
        last_step_time=case(
            (
                or_(_ITEMS.c.last_step_time.is_(None), _RUN.c.newest > _ITEMS.c.last_step_time),
                _RUN.c.newest,
            ),
            else_=_ITEMS.c.last_step_time,
        ),
        returned_seq=func.coalesce(_RUN.c.returned, _ITEMS.c.returned_seq),
    )
)
_ALL_NEWEST, _ALL_RETURNED = _latest()
# A retracted event: the items it named get their history recounted without it.
_RECOUNT = (
    update(_ITEMS)
    .where(_named(_EPCS.c.event_seq == bindparam("seq")))
    .values(last_step_time=_ALL_NEWEST, returned_seq=_ALL_RETURNED)
)


def note_steps(session: Session, first_seq: int, last_seq: int) -> None:
    """Fold the events at ledger indexes ``first_seq``..``last_seq`` (their rows in place)
    into the items they name."""
    session.execute(_NOTE, {"first": first_seq, "last": last_seq})


def recount_steps(session: Session, event_seq: int) -> None:
    """Recount the items named by the event at ``event_seq``, after its retraction."""
    session.execute(_RECOUNT, {"seq": event_seq})
