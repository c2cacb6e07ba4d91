"""Scans of QR codes: not in the ledger; they drive clone detection and PIN lockout."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from traceapp.db import Base
from traceapp.types import BigInt, UtcDateTime


class Scan(Base):
    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    # Off-ledger rows refer to public IDs, which survive a rebuild of the projections.
    item_public_id: Mapped[str] = mapped_column(String(32), index=True)
    scanned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Coarse client fingerprint: a truncated keyed hash of the network prefix, never the IP.
    client: Mapped[str] = mapped_column(String(16))
    agent: Mapped[str | None] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(20))


class PinAttempts(Base):
    __tablename__ = "pin_attempts"

    item_public_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
