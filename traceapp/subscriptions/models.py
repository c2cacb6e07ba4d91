"""Named queries, subscriptions and the delivery outbox.

Not projections and not in the ledger: they are the partners' settings and our delivery
bookkeeping. The events a delivery carries are ledger entries named by an index range.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from traceapp.db.base import Base
from traceapp.types import BigInt, UtcDateTime


class NamedQuery(Base):
    """``POST /epcis/queries``: a SimpleEventQuery kept under a name, owned by its creator."""

    __tablename__ = "epcis_named_queries"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    owner_role: Mapped[str] = mapped_column(String(16))
    # The producer's public ID for a producer's query: its results are that producer's events.
    owner_producer: Mapped[str | None] = mapped_column(String(32), index=True)
    parameters: Mapped[str] = mapped_column(Text)  # JSON: name -> list of values
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Subscription(Base):
    """A webhook on a named query: streaming (after each capture) or on a schedule.

    ``planned_seq`` is the ledger index up to which deliveries were planned into the outbox;
    moving it and inserting the outbox row happen in one transaction, so every event after it
    is still to be planned, whatever crashed.
    """

    __tablename__ = "epcis_subscriptions"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("epcis_named_queries.id"), index=True)
    dest: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str | None] = mapped_column(String(500))
    stream: Mapped[bool] = mapped_column(Boolean)
    schedule: Mapped[str | None] = mapped_column(Text)  # JSON of the OpenAPI schedule object
    report_if_empty: Mapped[bool] = mapped_column(Boolean)
    initial_record_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    planned_seq: Mapped[int] = mapped_column(BigInt)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutboxDelivery(Base):
    """One delivery to make: a subscription's matching events with ledger index in
    ``(after_seq, upto_seq]``. A sender leases the row while it posts; a row whose lease ran
    out (the sender died) is taken again, so a delivery may repeat but is never lost."""

    __tablename__ = "epcis_outbox"
    __table_args__ = (Index("ix_epcis_outbox_sub_status", "subscription_id", "status", "id"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("epcis_subscriptions.id"))
    after_seq: Mapped[int] = mapped_column(BigInt)
    upto_seq: Mapped[int] = mapped_column(BigInt)
    event_count: Mapped[int] = mapped_column(Integer)
    # The latest checkpoint when planned: fixed, so every attempt sends the same bytes.
    checkpoint_size: Mapped[int] = mapped_column(BigInt)
    status: Mapped[str] = mapped_column(String(10))  # pending, delivered, dead
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
