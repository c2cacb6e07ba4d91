"""Our checkpoints as served with their witnesses' cosignatures (c2sp.org/signed-note: the log's
signature line first, then the cosignature lines), and what is known of each witness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceapp.ledger_store import reads
from traceapp.witness.models import StoredCosignature, WitnessPushStatus
from traceapp.witness.settings import WitnessTarget


def cosignature_lines(
    session: Session, origin: str, size: int, witnesses: Sequence[WitnessTarget]
) -> list[StoredCosignature]:
    """The stored cosignatures of the checkpoint at ``size`` by configured witnesses."""
    names = [w.name for w in witnesses]
    if not names:
        return []
    return list(
        session.execute(
            select(StoredCosignature)
            .where(
                StoredCosignature.log == origin,
                StoredCosignature.size == size,
                StoredCosignature.witness.in_(names),
            )
            .order_by(StoredCosignature.witness)
        ).scalars()
    )


def with_cosignatures(note: str, cosignatures: Sequence[StoredCosignature]) -> str:
    """The signed checkpoint with the cosignature lines after its own signature lines."""
    return note + "".join(c.line for c in cosignatures)


def cosigners(
    session: Session, origin: str, size: int, witnesses: Sequence[WitnessTarget]
) -> list[str]:
    """Names (``name+hex8``) of the configured witnesses that cosigned the checkpoint at ``size``."""
    return [c.witness for c in cosignature_lines(session, origin, size, witnesses)]


def served_checkpoint(
    session: Session, origin: str, witnesses: Sequence[WitnessTarget], quorum: int
) -> str:
    """What ``/ledger/checkpoint`` answers: the newest checkpoint the quorum of witnesses
    cosigned, with their cosignatures; until one is, the newest checkpoint as the log signed it.
    Without witnesses, the newest checkpoint.
    """
    latest = reads.latest_checkpoint(session, origin)
    if not witnesses:
        return latest.note
    names = [w.name for w in witnesses]
    size = session.execute(
        select(StoredCosignature.size)
        .where(StoredCosignature.log == origin, StoredCosignature.witness.in_(names))
        .group_by(StoredCosignature.size)
        .having(func.count() >= quorum)
        .order_by(StoredCosignature.size.desc())
        .limit(1)
    ).scalar()
    if size is None:
        return latest.note
    note = latest.note if size == latest.size else reads.checkpoint_at(session, origin, size).note
    return with_cosignatures(note, cosignature_lines(session, origin, size, witnesses))


@dataclass(frozen=True)
class WitnessState:
    """One configured witness as the pusher last left it."""

    name: str
    url: str
    size: int
    failures: int
    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None

    @property
    def healthy(self) -> bool:
        return self.failures == 0 and self.last_ok_at is not None


def witness_states(session: Session, witnesses: Sequence[WitnessTarget]) -> list[WitnessState]:
    """The push status of every configured witness (never pushed yet: size 0, no success)."""
    rows = {
        r.witness: r
        for r in session.execute(
            select(WitnessPushStatus).where(
                WitnessPushStatus.witness.in_([w.name for w in witnesses])
            )
        ).scalars()
    }
    states = []
    for w in witnesses:
        row = rows.get(w.name)
        if row is None:
            states.append(WitnessState(w.name, w.url, 0, 0, None, None, None))
        else:
            states.append(
                WitnessState(
                    w.name,
                    w.url,
                    row.size,
                    row.failures,
                    row.last_ok_at,
                    row.last_error,
                    row.last_error_at,
                )
            )
    return states


@dataclass(frozen=True)
class Witnessed:
    """For the item page: the checkpoint its proofs are against and who cosigned it."""

    size: int
    names: tuple[str, ...]
    """Each cosigning witness's key name (without its key ID), in name order."""


def witnessed(
    session: Session, origin: str, size: int, witnesses: Sequence[WitnessTarget]
) -> Witnessed | None:
    """Who cosigned the checkpoint at ``size``; None when no witness is configured."""
    if not witnesses:
        return None
    names = cosigners(session, origin, size, witnesses)
    return Witnessed(size, tuple(name.rsplit("+", 1)[0] for name in names))
