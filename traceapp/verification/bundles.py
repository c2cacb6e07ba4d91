"""An item's proof bundle: the entries behind its page plus the whole key trust chain."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.bundle import build_bundle
from traceapp.gs1.digital_link import DigitalLink
from traceapp.i18n import vietnam_today
from traceapp.ledger_store import reads
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.store import SqlHashStore
from traceapp.ledger_store.writer import KEY_STATEMENTS, Ledger
from traceapp.verification import shown, upstream
from traceapp.verification.contact_view import with_contact
from traceapp.verification.loading import load
from traceapp.verification.proofs import prefetched_store
from traceapp.verification.snapshot import read_statements
from traceapp.verification.statements import ProjectionMismatch
from traceapp.witness.served import cosignature_lines, with_cosignatures
from traceapp.witness.settings import WitnessTarget


def item_bundle(
    session: Session, ledger: Ledger, link: DigitalLink, witnesses: Sequence[WitnessTarget] = ()
) -> dict[str, Any]:
    """The bundle of ``link``'s item against the latest checkpoint (``ledger.bundle.build_bundle``):
    the entries its page proves, whose statements say what the page shows.

    ProjectionMismatch when a row names an entry that does not back it: the bundle would
    carry entries that are not about this item. The checkpoint carries the cosignatures of
    ``witnesses`` stored for it (signed-note: verifiers ignore the lines of unknown keys).
    """
    checkpoint = reads.latest_checkpoint(session, ledger.origin)
    size = checkpoint.size
    st, _, entries = read_statements(session, ledger, load(session, link), size)
    views = shown.everything(st, vietnam_today())
    upstream.upstream(st)
    with_contact(st, views.producer)
    if st.mismatches:
        raise ProjectionMismatch(
            "the database does not match the ledger for: "
            + ", ".join(st.mismatches)
            + "; rebuild its projections (traceapp ledger rebuild)",
            field="path",
        )
    keys = session.execute(
        select(LedgerEntry.seq, LedgerEntry.entry).where(
            LedgerEntry.log == ledger.origin,
            LedgerEntry.seq < size,
            LedgerEntry.type.in_(KEY_STATEMENTS),
        )
    ).all()
    bundled = {seq: stored.data for seq, stored in entries.items()}
    bundled.update((seq, data) for seq, data in keys)
    store = prefetched_store(SqlHashStore(session, ledger.origin), list(bundled), size)
    note = with_cosignatures(
        checkpoint.note, cosignature_lines(session, ledger.origin, size, witnesses)
    )
    return build_bundle(note, ledger.log.vkey, bundled.items(), store, size)
