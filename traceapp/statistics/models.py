"""The statistics' aggregates: counters kept by projectors on append (``stat_counts``,
``stat_batch_ranks``), scan activity folded in from the scans table (``stat_scans``,
``stat_scan_ranks``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from traceapp.db.base import Base
from traceapp.types import UtcDateTime

NATION = "*"
"""The ``province`` of a ranking's national row: every province together; the ``producer`` and
``product`` of a province's scans of every product (``StatScan``)."""
NATIONAL = ""
"""The ``producer`` of a roll-up row: every producer of the province together."""
ALL_COMMUNES = "*"
"""The ``commune`` of a province's roll-up row: its communes together. A national or provincial
figure reads these (a few rows a province), a commune's figure the commune's own roll-ups."""


class StatCount(Base):
    """One counter. Every change is counted three times: in the producer's own row (what a
    producer may see of itself), in its commune's roll-up row (``producer`` = '') and in its
    province's (``producer`` = '', ``commune`` = '*'), so a national or provincial figure reads
    the provinces' rows, never the domain tables nor a row per commune.

    ``metric`` names what ``k1``-``k3`` hold (``statistics.projections`` lists them);
    ``province`` is the province of the producer's address after the 2025 merger.
    """

    __tablename__ = "stat_counts"

    metric: Mapped[str] = mapped_column(String(24), primary_key=True)
    producer: Mapped[str] = mapped_column(String(32), primary_key=True)
    province: Mapped[str] = mapped_column(String(100), primary_key=True)
    commune: Mapped[str] = mapped_column(String(100), primary_key=True)
    k1: Mapped[str] = mapped_column(String(40), primary_key=True)
    k2: Mapped[str] = mapped_column(String(40), primary_key=True)
    k3: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)
    # Batch quantities in thousandths of their unit: integers compare exactly on both engines.
    amount_milli: Mapped[int] = mapped_column(BigInteger)

    # A scope's rows of one metric in ``k3`` order: the certificates' ranges of expiry dates,
    # months and years read the rows in range alone, never those of every day gone by (nor
    # the communes' rows of a national figure); in ``k1`` order: the months of the items,
    # events and batches since a month, never every month the ledger has run. No ``n`` in
    # either: counting stays a HOT update, and a new key is the only index write.
    __table_args__ = (
        Index("ix_stat_counts_ranges", "metric", "producer", "commune", "k3"),
        Index("ix_stat_counts_months", "metric", "producer", "commune", "k1"),
    )


class StatBatchRank(Base):
    """A product's batches ever made, in its province and in the nation (``province`` '*').
    The capacity's top products are a scope's first rows of ``ix_stat_batch_ranks_top``: 20
    rows read however many products the country has. Its own table, as ``n`` in
    ``stat_counts``'s indexes would end the counters' HOT updates on PostgreSQL."""

    __tablename__ = "stat_batch_ranks"

    province: Mapped[str] = mapped_column(String(100), primary_key=True)
    product: Mapped[str] = mapped_column(String(32), primary_key=True)
    batches: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_stat_batch_ranks_top", "province", batches.desc(), "product"),)


class StatScan(Base):
    """Scans and suspected-copy signals per province, product and month, folded in from
    ``scans`` up to ``StatScanMark.last_scan_id`` (scans are not in the ledger). Each is
    counted in the producer's row, in the province's row of the product (``producer`` '') and
    in the province's row of every product (``producer`` and ``product`` '*'): the scans by
    province read a row a province and month, however many products there are."""

    __tablename__ = "stat_scans"

    producer: Mapped[str] = mapped_column(String(32), primary_key=True)
    province: Mapped[str] = mapped_column(String(100), primary_key=True)
    product: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    scans: Mapped[int] = mapped_column(BigInteger)
    signals: Mapped[int] = mapped_column(BigInteger)


class StatScanRank(Base):
    """A product's scans ever folded, in its province and in the nation (``province`` '*'):
    the scan activity's top products, read as ``StatBatchRank`` is."""

    __tablename__ = "stat_scan_ranks"

    province: Mapped[str] = mapped_column(String(100), primary_key=True)
    product: Mapped[str] = mapped_column(String(32), primary_key=True)
    scans: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_stat_scan_ranks_top", "province", scans.desc(), "product"),)


class StatScanFlag(Base):
    """An item whose scan totals crossed the many-checks rule: counted once as a signal."""

    __tablename__ = "stat_scan_flags"

    item_public_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    flagged_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StatScanMark(Base):
    """How far ``stat_scans`` has read the scans table (one row)."""

    __tablename__ = "stat_scan_mark"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_scan_id: Mapped[int] = mapped_column(BigInteger)
