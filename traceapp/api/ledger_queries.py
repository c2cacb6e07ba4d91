"""Ledger reads for everyone: entries, checkpoints, proofs, the key registry."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlalchemy import func, select

from traceapp.api.context import context_of
from traceapp.api.limits import DEFAULT_FIRST
from traceapp.api.paging import paginate
from traceapp.api.types.common import Connection
from traceapp.api.types.enums import KeyRole
from traceapp.api.types.ledger import (
    ActorKey,
    AuditRun,
    AuditSummary,
    Checkpoint,
    ConsistencyProof,
    InclusionProof,
    LedgerEntry,
    LedgerInfo,
    WitnessStatus,
    b64,
)
from traceapp.ledger_store import models, reads
from traceapp.witness.runtime import get_witnessing
from traceapp.witness.served import witness_states

Info = strawberry.Info[Any, Any]


@strawberry.type
class LedgerQueries:
    @strawberry.field(description="The log's origin, verifier key and size.")
    def ledger_info(self, info: Info) -> LedgerInfo:
        context = context_of(info)
        return LedgerInfo(
            origin=context.origin,
            vkey=context.ledger.log.vkey,
            size=reads.log_size(context.session, context.origin),
        )

    @strawberry.field(description="Entries in log order, keyset-paginated by index.")
    def ledger_entries(
        self,
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        type: str | None = None,
        actor: str | None = None,
        from_index: int | None = None,
        to_index: Annotated[
            int | None, strawberry.argument(description="Exclusive: entries [fromIndex, toIndex).")
        ] = None,
    ) -> Connection[LedgerEntry]:
        origin = context_of(info).origin
        stmt = select(models.LedgerEntry).where(models.LedgerEntry.log == origin)
        if from_index is not None:
            stmt = stmt.where(models.LedgerEntry.seq >= from_index)
        if to_index is not None:
            stmt = stmt.where(models.LedgerEntry.seq < to_index)
        if type is not None:
            stmt = stmt.where(models.LedgerEntry.type == type)
        if actor is not None:
            stmt = stmt.where(models.LedgerEntry.actor == actor)
        return paginate(info, LedgerEntry, stmt, [models.LedgerEntry.seq], first, after)

    @strawberry.field(description="Size, checkpoints and the last self-audits (auditors, admins).")
    def audit_summary(self, info: Info) -> AuditSummary:
        context = context_of(info)
        session, origin = context.session, context.origin
        runs = select(models.AuditRun).where(models.AuditRun.log == origin)
        newest = models.AuditRun.finished_at.desc()
        last = session.execute(runs.order_by(newest).limit(1)).scalar_one_or_none()
        full = session.execute(
            runs.where(models.AuditRun.deep, models.AuditRun.ok).order_by(newest).limit(1)
        ).scalar_one_or_none()
        count = session.execute(
            select(func.count())
            .select_from(models.LedgerCheckpoint)
            .where(models.LedgerCheckpoint.log == origin)
        ).scalar_one()
        return AuditSummary(
            size=reads.log_size(session, origin),
            checkpoint_count=count,
            latest_checkpoint=Checkpoint(row=reads.latest_checkpoint(session, origin)),
            vkey=context.ledger.log.vkey,
            last_verification=AuditRun(row=last) if last else None,
            last_full_verification=AuditRun(row=full) if full else None,
            witness_quorum=get_witnessing().quorum,
            witnesses=[
                WitnessStatus(
                    name=w.name,
                    size=w.size,
                    ok=w.healthy,
                    failures=w.failures,
                    last_ok_at=w.last_ok_at,
                    last_error=w.last_error,
                    last_error_at=w.last_error_at,
                )
                for w in witness_states(session, get_witnessing().witnesses)
            ],
        )

    @strawberry.field(description="The newest signed checkpoint.")
    def latest_checkpoint(self, info: Info) -> Checkpoint:
        context = context_of(info)
        return Checkpoint(row=reads.latest_checkpoint(context.session, context.origin))

    @strawberry.field(description="The checkpoint signed at this size (never re-signed).")
    def checkpoint(self, info: Info, size: int) -> Checkpoint:
        context = context_of(info)
        return Checkpoint(row=reads.checkpoint_at(context.session, context.origin, size))

    @strawberry.field(description="RFC 6962 inclusion proof from stored hashes (O(log n) reads).")
    def inclusion_proof(self, info: Info, index: int, size: int) -> InclusionProof:
        context = context_of(info)
        proof = reads.inclusion(context.session, context.origin, index, size)
        entry = reads.entry_at(context.session, context.origin, index)
        return InclusionProof(
            index=index, size=size, leaf_hash=b64(entry.leaf_hash), proof=[b64(h) for h in proof]
        )

    @strawberry.field(description="RFC 6962 consistency proof from stored hashes.")
    def consistency_proof(self, info: Info, old: int, new: int) -> ConsistencyProof:
        context = context_of(info)
        proof = reads.consistency(context.session, context.origin, old, new)
        return ConsistencyProof(old=old, new=new, proof=[b64(h) for h in proof])

    @strawberry.field(description="Keys registered in the ledger, in registration order.")
    def actor_keys(
        self,
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        role: KeyRole | None = None,
    ) -> Connection[ActorKey]:
        stmt = select(models.ActorKey)
        if role is not None:
            stmt = stmt.where(models.ActorKey.role == role.value)
        return paginate(info, ActorKey, stmt, [models.ActorKey.registered_seq], first, after)
