"""Witness tables: what our witness saw of each log, the cosignatures our log received, each
witness's push status, and the one pusher's lease."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from traceapp.db.base import Base
from traceapp.types import BigInt, UtcDateTime


class WitnessedLog(Base):
    """Our witness endpoint's record of a log: the latest checkpoint it cosigned.

    Also its lock row: a submission for the log locks it (tlog-witness: checking the old size
    and storing the new checkpoint are one atomic step).
    """

    __tablename__ = "witnessed_logs"

    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    size: Mapped[int] = mapped_column(BigInt)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The checkpoint as served to monitors: the log's verified signatures and our cosignature.
    checkpoint: Mapped[str | None] = mapped_column(Text)


class StoredCosignature(Base):
    """A witness's verified cosignature line on one of our checkpoints."""

    __tablename__ = "checkpoint_cosignatures"

    log: Mapped[str] = mapped_column(String(255), primary_key=True)
    size: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(255), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[int] = mapped_column(BigInt)


class WitnessPushStatus(Base):
    """How pushing to one witness goes: the size it has, the last success and the last error."""

    __tablename__ = "witness_push_status"

    witness: Mapped[str] = mapped_column(String(255), primary_key=True)
    size: Mapped[int] = mapped_column(BigInt)
    failures: Mapped[int] = mapped_column(Integer)
    last_ok_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WitnessLease(Base):
    """Who pushes: one holder per deployment, until ``expires_at`` unless renewed."""

    __tablename__ = "witness_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


def insert_missing(session: Session, model: type[Base], **values: object) -> None:
    """Insert the row unless its key exists (the dialects' ``ON CONFLICT DO NOTHING``): the
    first of concurrent writers makes it, the others then lock it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(model).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(model).values(**values).on_conflict_do_nothing())
