"""Scans of QR codes: not in the ledger; they drive clone detection and PIN lockout. Also the
shared rate limits' counters (per client, like the scans)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from traceapp.db.base import Base
from traceapp.types import BigInt, UtcDateTime


class Scan(Base):
    __tablename__ = "scans"
    # An item's latest scans in order from the index alone (the clone rules read the latest 500).
    __table_args__ = (
        Index("ix_scans_item_time", "item_public_id", "scanned_at", "id", "client", "result"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    # Off-ledger rows refer to public IDs, which survive a rebuild of the projections.
    item_public_id: Mapped[str] = mapped_column(String(32))
    scanned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Coarse client fingerprint: a truncated keyed hash of the network prefix, never the IP.
    client: Mapped[str] = mapped_column(String(16))
    agent: Mapped[str | None] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(20))


class ScanTotals(Base):
    """Per item: how many scans, since when, from how many clients; kept with every scan.

    Counting an item's scans on each page would read all of them: a popular (or copied)
    code has tens of thousands. These totals are updated in the scan's own transaction.
    """

    __tablename__ = "scan_totals"

    item_public_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    first_at: Mapped[datetime] = mapped_column(UtcDateTime)
    clients: Mapped[int] = mapped_column(Integer)


class ScanClient(Base):
    """A client that scanned an item: how often, and its latest scan and latest claim.

    "Latest" is by (scanned_at, id), the order of the scans. The clone rules that look at an
    item's latest scans read, for each client, whether its latest scan (or claim) is among
    them instead of reading the scans themselves.
    """

    __tablename__ = "scan_clients"
    __table_args__ = (Index("ix_scan_clients_item_last", "item_public_id", "last_at"),)

    item_public_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    client: Mapped[str] = mapped_column(String(16), primary_key=True)
    scans: Mapped[int] = mapped_column(BigInteger)
    """1 on its first scan: a new client adds 1 to ``ScanTotals.clients``."""
    last_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_id: Mapped[int] = mapped_column(BigInteger)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_id: Mapped[int | None] = mapped_column(BigInteger)


class PinAttempts(Base):
    __tablename__ = "pin_attempts"

    item_public_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RateWindow(Base):
    """One client's requests to one rate-limit bucket in one fixed window: the shared limit's
    store without Redis (traceapp/verification/ratelimit_store.py). Unlogged on PostgreSQL."""

    __tablename__ = "rate_windows"
    __table_args__ = (Index("ix_rate_windows_window_start", "window_start"),)

    bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    client: Mapped[str] = mapped_column(String(32), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    """Unix seconds, a multiple of the window: the same windows on every host."""
    hits: Mapped[int] = mapped_column(Integer)
