"""Ledger tables. All but ``ledger_heads`` are append-only, enforced by database triggers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from traceapp.db.base import Base
from traceapp.types import BigInt, UtcDateTime


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    log: Mapped[str] = mapped_column(String(255), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    type: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(255), index=True)


class LedgerHash(Base):
    """Hash of the perfect subtree of 2**level leaves starting at leaf idx * 2**level."""

    __tablename__ = "ledger_hashes"

    log: Mapped[str] = mapped_column(String(255), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerCheckpoint(Base):
    __tablename__ = "ledger_checkpoints"

    log: Mapped[str] = mapped_column(String(255), primary_key=True)
    size: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # The signed note is the record; nothing beside it is stored that a verifier cannot check.
    note: Mapped[str] = mapped_column(Text)


class LedgerHead(Base):
    """The sequencer's lock row: one per log, the only mutable ledger row."""

    __tablename__ = "ledger_heads"

    log: Mapped[str] = mapped_column(String(255), primary_key=True)
    size: Mapped[int] = mapped_column(BigInt)
    last_leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # The Merkle frontier at ``size`` (ledger.merkle.frontier_keys), its hashes concatenated:
    # the next append starts from it without reading ledger_hashes, inside the head's lock.
    # Derived: checked against root_hash before use, and by the audit.
    frontier: Mapped[bytes | None] = mapped_column(LargeBinary)


APPEND_ONLY_TABLES = ("ledger_entries", "ledger_hashes", "ledger_checkpoints")


class IdempotencyRecord(Base):
    """A request already carried out: its retry returns this result and appends nothing."""

    __tablename__ = "idempotency_records"

    scope: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    first_seq: Mapped[int] = mapped_column(BigInt)
    last_seq: Mapped[int] = mapped_column(BigInt)
    result: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ActorKey(Base):
    """The key registry: projection of ``key.registered`` / ``key.revoked`` (DESIGN §5)."""

    __tablename__ = "actor_keys"

    key_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    vkey: Mapped[str] = mapped_column(String(512))
    role: Mapped[str] = mapped_column(String(16))
    producer_public_id: Mapped[str | None] = mapped_column(String(32), index=True)
    registered_seq: Mapped[int] = mapped_column(BigInt)
    revoked_seq: Mapped[int | None] = mapped_column(BigInt)
    revoke_reason: Mapped[str | None] = mapped_column(String(500))


class CustodialKey(Base):
    """A private key held for an actor, AES-256-GCM encrypted at rest; never leaves the server."""

    __tablename__ = "custodial_keys"

    key_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditRun(Base):
    """A run of `traceapp ledger verify`: when, how deep, and what it found (not in the ledger)."""

    __tablename__ = "audit_runs"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    log: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deep: Mapped[bool] = mapped_column(Boolean)
    size: Mapped[int] = mapped_column(BigInt)
    ok: Mapped[bool] = mapped_column(Boolean)
    failure: Mapped[str | None] = mapped_column(Text)
