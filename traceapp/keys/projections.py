"""Projections of ``key.registered`` and ``key.revoked`` into the key registry."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from ledger.keys import Verifier
from traceapp.ledger_store.models import ActorKey
from traceapp.ledger_store.projections import Projector
from traceapp.ledger_store.sequencer import Appended


def key_registered(session: Session, appended: Appended) -> None:
    statement = appended.entry.statement
    verifier = Verifier.from_vkey(statement["vkey"])
    session.add(
        ActorKey(
            key_name=verifier.key_name,
            vkey=statement["vkey"],
            role=statement["role"],
            producer_public_id=statement["producer"],
            registered_seq=appended.seq,
        )
    )
    session.flush()


def key_revoked(session: Session, appended: Appended) -> None:
    statement = appended.entry.statement
    session.execute(
        update(ActorKey)
        .where(ActorKey.key_name == statement["key"])
        .values(revoked_seq=appended.seq, revoke_reason=statement["reason"])
    )


# Registered by the app (traceapp/projectors.py): what each statement type changes here.
PROJECTORS: dict[str, Projector] = {
    "key.registered": key_registered,
    "key.revoked": key_revoked,
}
