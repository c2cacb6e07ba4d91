"""Projection of ``recall.issued``: the recall, its batches, and their items' status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from traceapp.batches.models import Item
from traceapp.batches.projections import batch_pk
from traceapp.ledger_store.projections import Projector
from traceapp.ledger_store.sequencer import Appended
from traceapp.recalls.models import Recall, RecallBatch


def recall_issued(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    recall = Recall(
        public_id=s["id"],
        reason=s["reason"],
        severity=s["severity"],
        issued_at=datetime.fromisoformat(s["issued_at"].replace("Z", "+00:00")),
        ledger_seq=appended.seq,
    )
    session.add(recall)
    session.flush()
    batch_ids = [batch_pk(session, b) for b in s["batches"]]
    session.add_all(RecallBatch(recall_id=recall.id, batch_id=b) for b in batch_ids)
    session.execute(
        update(Item)
        .where(Item.batch_id.in_(batch_ids), Item.status.in_(("active", "claimed")))
        .values(status="recalled", status_seq=appended.seq)
    )


# Registered by the app (traceapp/projectors.py): what each statement type changes here.
PROJECTORS: dict[str, Projector] = {
    "recall.issued": recall_issued,
}
