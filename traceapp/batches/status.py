"""An item's status as a function of the statements about it, in log order.

The projections apply these rules one statement at a time as the log grows; a retraction
replays them over what remains (``fold_status``), so a retracted event leaves no trace in the
status, and ``ledger rebuild`` reaches the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ChangeKind = Literal["issued", "event", "recall", "claim"]
ISSUED: ChangeKind = "issued"
EVENT: ChangeKind = "event"
RECALL: ChangeKind = "recall"
CLAIM: ChangeKind = "claim"
# Statuses a recall overrides: an item sold, destroyed or recalled already stays so.
RECALLABLE = ("active", "claimed")


@dataclass(frozen=True)
class StatusChange:
    """A statement that may change an item's status: ``status`` is what an event's
    disposition says (``sold``, ``destroyed``, ``recalled``); unused for the other kinds."""

    seq: int
    kind: ChangeKind
    status: str | None = None


def next_status(current: str, change: StatusChange) -> str | None:
    """The status after ``change``, or None when the change leaves it as it is."""
    if change.kind == ISSUED:
        return "active"
    if change.kind == CLAIM:
        return "claimed"
    if change.kind == RECALL:
        return "recalled" if current in RECALLABLE else None
    # An event: a claimed item belongs to its buyer, a disposition no longer changes it.
    return change.status if current != "claimed" else None


def fold_status(changes: Iterable[StatusChange]) -> tuple[str, int]:
    """(status, ledger index of the statement that set it), replaying ``changes`` in log
    order; the first change is the item's ``items.issued``."""
    status, status_seq = "", -1
    for change in sorted(changes, key=lambda c: c.seq):
        after = next_status(status, change)
        if after is not None:
            status, status_seq = after, change.seq
    return status, status_seq
