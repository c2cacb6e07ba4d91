"""Recalls of batches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceapp.batches.models import Batch
from traceapp.db.base import Base
from traceapp.types import BigInt, UtcDateTime

SEVERITIES = ("low", "medium", "high", "critical")


class Recall(Base):
    __tablename__ = "recalls"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ledger_seq: Mapped[int] = mapped_column(BigInt)

    # Read-side navigation for the API's eager-loading planner: view-only, never lazy.
    batches: Mapped[list[Batch]] = relationship(
        secondary="recall_batches", viewonly=True, lazy="raise", order_by=lambda: Batch.ledger_seq
    )


class RecallBatch(Base):
    __tablename__ = "recall_batches"

    recall_id: Mapped[int] = mapped_column(ForeignKey("recalls.id"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), primary_key=True, index=True)
