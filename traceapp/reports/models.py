"""A shopper's report of a suspected fake: off the ledger, read by the programme office."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from traceapp.db.base import Base
from traceapp.types import BigInt, UtcDateTime


class Report(Base):
    __tablename__ = "reports"
    # The office's inbox reads the newest first; the rate limit counts one client's latest.
    __table_args__ = (
        Index("ix_reports_created", "created_at", "id"),
        Index("ix_reports_client_created", "client", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    code: Mapped[str] = mapped_column(String(600))
    """The item's GS1 Digital Link URI on our domain (the code need not exist: fakes don't)."""
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str | None] = mapped_column(String(1000))
    contact: Mapped[str | None] = mapped_column(String(200))
    photo: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The shopper's photo, re-encoded without metadata, in the private report store (its
    renditions' hashes: ``StoredPhoto.statement()``); never on the ledger."""
    # The same coarse keyed fingerprint as scans (never the IP address).
    client: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReportTriage(Base):
    """A report's current triage state (no row: ``new``); ``statistics.inbox`` changes it."""

    __tablename__ = "report_triage"

    report_public_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReportTriageChange(Base):
    """Every change of a report's state: which office account, when, from what to what, why."""

    __tablename__ = "report_triage_changes"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    report_public_id: Mapped[str] = mapped_column(String(32), index=True)
    account_id: Mapped[int] = mapped_column(BigInt)
    old_state: Mapped[str] = mapped_column(String(16))
    new_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
