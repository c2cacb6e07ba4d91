"""A producer's history as the ledger holds it: each ``HISTORY_TYPES`` entry, read by its index
from ``producer_changes`` (never a scan of the log), with what it says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.entry import parse_recorded
from ledger.fast.scanner import parse_entry
from traceapp.ledger_store.models import LedgerEntry
from traceapp.producers.models import ProducerChange

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class HistoryEntry:
    index: int
    type: str
    recorded: datetime
    statement: dict[str, Any]
    member: str | None


def producer_history(session: Session, origin: str, producer_pk: int) -> list[HistoryEntry]:
    """Newest first, at most ``HISTORY_LIMIT`` entries."""
    seqs = (
        select(ProducerChange.seq)
        .where(ProducerChange.producer_id == producer_pk)
        .order_by(ProducerChange.seq.desc())
        .limit(HISTORY_LIMIT)
    )
    rows = session.execute(
        select(LedgerEntry.seq, LedgerEntry.entry)
        .where(LedgerEntry.log == origin, LedgerEntry.seq.in_(seqs))
        .order_by(LedgerEntry.seq.desc())
    ).tuples()
    out = []
    for seq, data in rows:
        entry = parse_entry(data)
        statement = dict(entry.statement)
        out.append(
            HistoryEntry(
                seq,
                entry.type,
                parse_recorded(entry.recorded),
                statement,
                statement.get("member"),
            )
        )
    return out
