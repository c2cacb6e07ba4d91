"""The ledger as GraphQL: entries, checkpoints, proofs, keys."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from traceapp.api.ids import encode_global_id
from traceapp.api.types.enums import KeyRole
from traceapp.ledger_store import models


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@strawberry.type(description="A ledger entry: its exact bytes (base64) and what they say.")
class LedgerEntry:
    row: strawberry.Private[models.LedgerEntry]

    @strawberry.field
    def index(self) -> int:
        return self.row.seq

    @strawberry.field
    def type(self) -> str:
        return self.row.type

    @strawberry.field
    def actor(self) -> str:
        return self.row.actor

    @strawberry.field(description="The entry's canonical bytes, base64: what the leaf hash covers.")
    def entry(self) -> str:
        return b64(self.row.entry)

    @strawberry.field(description="SHA-256(0x00 || entry), base64.")
    def leaf_hash(self) -> str:
        return b64(self.row.leaf_hash)

    @strawberry.field(description="The entry decoded (v, log, seq, prev, recorded, ..., sig).")
    def document(self) -> JSON:
        value: Any = json.loads(self.row.entry)
        return value  # type: ignore[no-any-return]


@strawberry.type(description="A signed checkpoint (C2SP tlog-checkpoint as a signed note).")
class Checkpoint:
    row: strawberry.Private[models.LedgerCheckpoint]

    @strawberry.field
    def origin(self) -> str:
        return self.row.log

    @strawberry.field
    def size(self) -> int:
        return self.row.size

    @strawberry.field(description="Merkle tree root, base64.")
    def root_hash(self) -> str:
        return b64(self.row.root_hash)

    @strawberry.field(description="The signed note text, exactly as served at /ledger/checkpoint.")
    def note(self) -> str:
        return self.row.note


@strawberry.type(description="RFC 6962 inclusion proof of entry `index` in the tree of `size`.")
class InclusionProof:
    index: int
    size: int
    leaf_hash: str = strawberry.field(description="base64")
    proof: list[str] = strawberry.field(description="base64 hashes, leaf to root")


@strawberry.type(description="RFC 6962 consistency proof between two tree sizes.")
class ConsistencyProof:
    old: int
    new: int
    proof: list[str] = strawberry.field(description="base64 hashes")


@strawberry.type(description="The log's identity and current size.")
class LedgerInfo:
    origin: str
    vkey: str = strawberry.field(description="The log's verifier key (C2SP vkey).")
    size: int


@strawberry.type(description="A key registered in the ledger (its public half).")
class ActorKey:
    row: strawberry.Private[models.ActorKey]

    @strawberry.field(description="name+hex8 key ID, as in the entries' actor field.")
    def name(self) -> str:
        return self.row.key_name

    @strawberry.field
    def vkey(self) -> str:
        return self.row.vkey

    @strawberry.field
    def role(self) -> KeyRole:
        return KeyRole(self.row.role)

    @strawberry.field(description="The producer a producer key acts for (its global ID).")
    def producer_id(self) -> strawberry.ID | None:
        public_id = self.row.producer_public_id
        return strawberry.ID(encode_global_id("Producer", public_id)) if public_id else None

    @strawberry.field
    def registered_ledger_index(self) -> int:
        return self.row.registered_seq

    @strawberry.field
    def revoked_ledger_index(self) -> int | None:
        return self.row.revoked_seq

    @strawberry.field
    def revoke_reason(self) -> str | None:
        return self.row.revoke_reason


@strawberry.type(description="A run of `traceapp ledger verify` (its record is not in the ledger).")
class AuditRun:
    row: strawberry.Private[models.AuditRun]

    @strawberry.field
    def started_at(self) -> datetime:
        return self.row.started_at

    @strawberry.field
    def finished_at(self) -> datetime:
        return self.row.finished_at

    @strawberry.field(description="True when every projection row was compared with a replay.")
    def deep(self) -> bool:
        return self.row.deep

    @strawberry.field(description="Entries verified (0 when the run failed).")
    def size(self) -> int:
        return self.row.size

    @strawberry.field
    def ok(self) -> bool:
        return self.row.ok

    @strawberry.field(description="The first divergence found, when the run failed.")
    def failure(self) -> str | None:
        return self.row.failure


@strawberry.type(description="A witness asked to cosign the log's checkpoints (issue 18).")
class WitnessStatus:
    name: str = strawberry.field(description="The witness's key name, `name+hex8`.")
    size: int = strawberry.field(description="The tree size the witness was last known to have.")
    ok: bool = strawberry.field(description="True when its last push got a valid cosignature.")
    failures: int = strawberry.field(description="Failed pushes since its last success.")
    last_ok_at: datetime | None
    last_error: str | None = strawberry.field(
        description="Its last refusal (403, 404, 422...), timeout or other failure."
    )
    last_error_at: datetime | None


@strawberry.type(description="What an auditor checks first.")
class AuditSummary:
    size: int
    checkpoint_count: int
    latest_checkpoint: Checkpoint
    vkey: str
    last_verification: AuditRun | None = strawberry.field(
        description="The latest `traceapp ledger verify` run, whatever its result."
    )
    last_full_verification: AuditRun | None = strawberry.field(
        description="The latest `traceapp ledger verify --deep` run that passed."
    )
    witness_quorum: int = strawberry.field(
        description="How many witnesses must cosign a checkpoint before it is served (0: none)."
    )
    witnesses: list[WitnessStatus] = strawberry.field(
        description="The configured witnesses and how pushing to each goes."
    )
