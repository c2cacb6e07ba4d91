"""EPCIS 2.0 events: canonical JSON plus indexed columns, and the EPCs each event touches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceapp.db.base import Base
from traceapp.producers.models import Producer
from traceapp.types import BigInt, UtcDateTime


class Event(Base):
    __tablename__ = "events"
    # Lists filter on one of these and page in ledger order: each index ends with ledger_seq so
    # that a page is one index range, not a sort of every matching event.
    __table_args__ = (
        Index("ix_events_time_id", "event_time", "id"),
        *(
            Index(f"ix_events_{column}_seq", column, "ledger_seq")
            for column in ("type", "biz_step", "disposition", "read_point", "biz_location")
        ),
        Index("ix_events_producer_seq", "producer_id", "ledger_seq"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(24))
    action: Mapped[str | None] = mapped_column(String(8))
    event_time: Mapped[datetime] = mapped_column(UtcDateTime)
    event_time_zone_offset: Mapped[str] = mapped_column(String(6))
    biz_step: Mapped[str | None] = mapped_column(String(200))
    disposition: Mapped[str | None] = mapped_column(String(200))
    read_point: Mapped[str | None] = mapped_column(String(300))
    biz_location: Mapped[str | None] = mapped_column(String(300))
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producers.id"))
    document: Mapped[str] = mapped_column(Text)
    ledger_seq: Mapped[int] = mapped_column(BigInt, unique=True)
    # EPCIS recordTime: when the ledger recorded the event (its entry's ``recorded``).
    record_time: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # Set when a later errorDeclaration retracts this event (append-only correction).
    error_declared_seq: Mapped[int | None] = mapped_column(BigInt)
    error_reason: Mapped[str | None] = mapped_column(String(200))

    # Read-side navigation for the API's eager-loading planner: view-only, never lazy.
    producer: Mapped[Producer | None] = relationship(viewonly=True, lazy="raise")
    epcs: Mapped[list[EventEpc]] = relationship(
        viewonly=True, lazy="raise", order_by=lambda: EventEpc.id
    )


class EventEpc(Base):
    __tablename__ = "event_epcs"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    # Keyed by the event's ledger index so a bulk append needs no generated keys back.
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.ledger_seq"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    epc: Mapped[str] = mapped_column(String(300), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)


class CaptureJob(Base):
    """An EPCIS REST capture job (``GET /epcis/capture/{id}``): what one capture request did.

    Not a projection and not in the ledger: the events a capture recorded are ledger entries;
    this only keeps the report, including the refused events that were never recorded.
    """

    __tablename__ = "epcis_capture_jobs"
    __table_args__ = (Index("ix_epcis_capture_jobs_running", "running", "id"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    actor: Mapped[str] = mapped_column(String(255), index=True)  # the key that signed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error_behaviour: Mapped[str] = mapped_column(String(8))
    success: Mapped[bool] = mapped_column(Boolean)
    report: Mapped[str] = mapped_column(Text)  # JSON
    # Asynchronous capture (202): the received body waits here until a worker leases the job;
    # it is dropped once the job finished (the report keeps what happened).
    running: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    document: Mapped[bytes | None] = mapped_column(LargeBinary)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
