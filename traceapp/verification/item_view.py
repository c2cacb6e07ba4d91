"""The item as shown: its issue and its status, replayed from its proven statements.

The status follows the projection's rule, over the statements rather than the rows, so an
edited ``items.status`` changes nothing shown and a retracted event changes no status.
"""

from __future__ import annotations

from typing import Any

from traceapp.batches.models import Item
from traceapp.batches.status import CLAIM, EVENT, ISSUED, RECALL, StatusChange, fold_status
from traceapp.events.epc import parse_epc
from traceapp.events.projections import event_epcs, short_cbv
from traceapp.events.retraction import ITEM_ROLES, status_of_event
from traceapp.verification.model import ItemView
from traceapp.verification.statements import Statements


def item(st: Statements) -> tuple[ItemView | None, int | None]:
    """The item, its status derived from its proven statements, and the index of the entry
    that set that status."""
    loaded = st.loaded
    row, batch_row = loaded.item, loaded.batch
    if row is None or batch_row is None:
        return None, None
    s = st.find(row.issued_seq, "items.issued", "item", batch=batch_row.public_id)
    issued = None
    if s is not None:
        issued = next((i for i in s["items"] if i["id"] == row.public_id), None)
        if issued is None or issued["serial"] != loaded.link.serial:
            st.mismatches["item"] = None
            issued = None
    if issued is None:
        view = ItemView(
            row.public_id, row.serial, row.status, row.pin_digest is not None,
            row.status == "claimed",
        )  # fmt: skip
        return view, row.status_seq
    status, status_seq = replay_status(st, row)
    view = ItemView(
        issued["id"], issued["serial"], status, issued["pin"] is not None, status == "claimed"
    )
    return view, status_seq


def replay_status(st: Statements, row: Item) -> tuple[str, int]:
    """The projection's rule (``batches.status.fold_status``) over the proven statements:
    items.issued, the status dispositions of non-retracted events naming the item, a claim,
    the recalls of its batch."""
    loaded = st.loaded
    changes = [StatusChange(row.issued_seq, ISSUED)]
    for event in loaded.events:
        s = st.event(event)
        if s is None or st.declaration(event, s["event"]) is not None:
            continue
        status = status_of_event(short_cbv(s["event"].get("disposition")), s["event"].get("action"))
        if status and _names_item(st, s["event"]):
            changes.append(StatusChange(event.ledger_seq, EVENT, status))
    # A claim is found by the row's status index: no other row names it.
    claim = st.stated.get(row.status_seq)
    if (
        claim is not None
        and claim.type == "item.claimed"
        and claim.statement["item"] == row.public_id
    ):
        changes.append(StatusChange(row.status_seq, CLAIM))
    batch_id = loaded.batch.public_id if loaded.batch is not None else None
    for recall in loaded.recalls:
        r = st.stated.get(recall.ledger_seq)
        if r is not None and r.type == "recall.issued" and batch_id in r.statement["batches"]:
            changes.append(StatusChange(recall.ledger_seq, RECALL))
    return fold_status(changes)


def _names_item(st: Statements, event: dict[str, Any]) -> bool:
    """Whether the event names the item as an EPC or a child EPC (the projection's roles)."""
    link = st.loaded.link
    for role, epc in event_epcs(event):
        if role in ITEM_ROLES and isinstance(epc, str):
            ref = parse_epc(epc)
            if ref is not None and ref.gtin == link.gtin and ref.serial == link.serial:
                return True
    return False
