"""What retracting an event does to the items it touched: their status is replayed without it.

An item's status is a function of its non-retracted statements (``batches.status``). A
retraction can change it only for the items whose status the retracted event set (their
``status_seq`` is the event's index): any later statement that changed the status would
still do so without it. For those items the statements about them are replayed (issue,
non-retracted events, recalls of their batch, and claims when they matter).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from traceapp.batches.models import Item
from traceapp.batches.status import CLAIM, EVENT, ISSUED, RECALL, StatusChange, fold_status
from traceapp.events.models import Event, EventEpc
from traceapp.ledger_store.models import LedgerEntry
from traceapp.recalls.models import Recall, RecallBatch

# Dispositions (CBV 2.0 §7.2) that change an item's status.
STATUS_BY_DISPOSITION = {
    "retail_sold": "sold",
    "destroyed": "destroyed",
    "disposed": "destroyed",
    "recalled": "recalled",
}
ITEM_ROLES = ("epc", "child")  # the roles in which an event's disposition applies to an item

_ITEMS, _EVENTS, _EPCS = Item.__table__, Event.__table__, EventEpc.__table__
_SET_BY = select(
    _ITEMS.c.id, _ITEMS.c.issued_seq, _ITEMS.c.batch_id, _ITEMS.c.public_id, _ITEMS.c.pin_digest
).where(
    _ITEMS.c.id.in_(
        select(_EPCS.c.item_id).where(
            _EPCS.c.event_seq == bindparam("seq"), _EPCS.c.role.in_(ITEM_ROLES)
        )
    ),
    _ITEMS.c.status_seq == bindparam("seq"),
)
_EVENTS_OF = (
    select(_EPCS.c.item_id, _EVENTS.c.ledger_seq, _EVENTS.c.disposition)
    .select_from(_EPCS.join(_EVENTS, _EPCS.c.event_seq == _EVENTS.c.ledger_seq))
    .where(
        _EPCS.c.item_id.in_(bindparam("items", expanding=True)),
        _EPCS.c.role.in_(ITEM_ROLES),
        _EVENTS.c.error_declared_seq.is_(None),
        _EVENTS.c.disposition.in_(tuple(STATUS_BY_DISPOSITION)),
        (_EVENTS.c.action.is_(None)) | (_EVENTS.c.action != "DELETE"),
    )
)
_RECALLS_OF = (
    select(RecallBatch.batch_id, Recall.ledger_seq)
    .join(Recall, RecallBatch.recall_id == Recall.id)
    .where(RecallBatch.batch_id.in_(bindparam("batches", expanding=True)))
)


def status_of_event(disposition: str | None, action: str | None) -> str | None:
    """The status an event gives the items it names, or None (no such disposition, DELETE)."""
    if action == "DELETE":
        return None
    return STATUS_BY_DISPOSITION.get(disposition or "")


def restore_statuses(session: Session, log: str, event_seq: int) -> None:
    """Replay the status of the items the retracted event at ``event_seq`` had set.

    Call after the event's row is marked retracted, so its own change is left out.
    """
    items = session.execute(_SET_BY, {"seq": event_seq}).all()
    if not items:
        return
    changes: dict[int, list[StatusChange]] = {
        item.id: [StatusChange(item.issued_seq, ISSUED)] for item in items
    }
    for item_id, seq, disposition in session.execute(_EVENTS_OF, {"items": list(changes)}).all():
        changes[item_id].append(StatusChange(seq, EVENT, STATUS_BY_DISPOSITION[disposition]))
    recalls: dict[int, list[int]] = {}
    for batch_id, seq in session.execute(
        _RECALLS_OF, {"batches": sorted({i.batch_id for i in items})}
    ).all():
        recalls.setdefault(batch_id, []).append(seq)
    # A claim matters only before a recall that came before the retracted event (the claimed
    # item was recalled, then the event applied): only then are claims looked up.
    claimable = {
        item.public_id: item.id
        for item in items
        if item.pin_digest is not None
        and any(seq < event_seq for seq in recalls.get(item.batch_id, ()))
    }
    for public_id, seq in _claims(session, log, claimable, event_seq):
        changes[claimable[public_id]].append(StatusChange(seq, CLAIM))
    for item in items:
        history = changes[item.id]
        history += [StatusChange(seq, RECALL) for seq in recalls.get(item.batch_id, ())]
        status, status_seq = fold_status(history)
        session.execute(
            update(Item).where(Item.id == item.id).values(status=status, status_seq=status_seq)
        )


def _claims(
    session: Session, log: str, items: dict[str, int], before: int
) -> Sequence[tuple[str, int]]:
    """(item public ID, ledger index) of the ``item.claimed`` entries of ``items`` before
    ``before``: read from the log itself (claims leave no other trace once recalled)."""
    if not items:
        return []
    rows = session.execute(
        select(LedgerEntry.seq, LedgerEntry.entry).where(
            LedgerEntry.log == log, LedgerEntry.type == "item.claimed", LedgerEntry.seq < before
        )
    )
    found = []
    for seq, entry in rows:
        item = json.loads(entry)["statement"]["item"]
        if item in items:
            found.append((item, seq))
    return found
