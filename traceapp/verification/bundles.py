"""An item's proof bundle: the entries behind its page plus the whole key trust chain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.bundle import build_bundle
from traceapp.gs1.digital_link import DigitalLink
from traceapp.ledger_store import reads
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.store import SqlHashStore
from traceapp.ledger_store.writer import KEY_STATEMENTS, Ledger
from traceapp.verification.loading import load, shown_entries
from traceapp.verification.proofs import prefetched_store


def item_bundle(session: Session, ledger: Ledger, link: DigitalLink) -> dict[str, Any]:
    """The bundle of ``link``'s item against the latest checkpoint (``ledger.bundle.build_bundle``)."""
    checkpoint = reads.latest_checkpoint(session, ledger.origin)
    size = checkpoint.size
    wanted = set(shown_entries(load(session, link)))
    rows = session.execute(
        select(LedgerEntry.seq, LedgerEntry.entry).where(
            LedgerEntry.log == ledger.origin,
            LedgerEntry.seq < size,
            LedgerEntry.seq.in_(wanted) | LedgerEntry.type.in_(KEY_STATEMENTS),
        )
    ).all()
    entries = [(seq, data) for seq, data in rows]
    store = prefetched_store(SqlHashStore(session, ledger.origin), [s for s, _ in entries], size)
    return build_bundle(checkpoint.note, ledger.log.vkey, entries, store, size)
