"""Scan activity by province, product and month, folded in from the scans table.

Scans are not in the ledger and every item page records one: a counter row per product would
be one hot row that every scan of a popular product waits on. So the scans stay as they are
written, and the statistics fold in those recorded since the last fold (``StatScanMark``): the
cost of a fold is the number of new scans, never of all of them. A suspected-copy signal is an
item whose totals crossed the many-checks rule (``scans.clones``), counted once, in the month
of the fold that saw it. A product's scans ever are also kept in ``stat_scan_ranks`` (its
province's row and the nation's), the ranking of the products' scan activity.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch, Item
from traceapp.ledger_store.stored_rows import AuditFailure
from traceapp.producers.models import Producer
from traceapp.products.models import Product
from traceapp.scans.clones import MANY_CHECKS, MANY_CLIENTS
from traceapp.scans.models import Scan, ScanTotals
from traceapp.statistics.models import (
    NATION,
    NATIONAL,
    StatScan,
    StatScanFlag,
    StatScanMark,
    StatScanRank,
)
from traceapp.statistics.provinces import current_province

FOLD_LIMIT = 200_000
"""Scans folded in at most per call: a read that finds more leaves the rest for the next."""

_ADD = text(
    "INSERT INTO stat_scans (producer, province, product, month, scans, signals) "
    "VALUES (:producer, :province, :product, :month, :scans, :signals) "
    "ON CONFLICT (producer, province, product, month) DO UPDATE SET "
    "scans = stat_scans.scans + excluded.scans, signals = stat_scans.signals + excluded.signals"
)
_RANK = text(
    "INSERT INTO stat_scan_ranks (province, product, scans) VALUES (:province, :product, :scans) "
    "ON CONFLICT (province, product) DO UPDATE SET scans = stat_scan_ranks.scans + excluded.scans"
)
ScanKey = tuple[str, str, str, str]  # producer, province, product, month


def _mark(session: Session) -> StatScanMark:
    mark = session.execute(
        select(StatScanMark).where(StatScanMark.id == 1).with_for_update()
    ).scalar_one_or_none()
    if mark is None:
        mark = StatScanMark(id=1, last_scan_id=0)
        session.add(mark)
        session.flush()
    return mark


def _places(session: Session, items: list[str]) -> dict[str, tuple[str, str, str]]:
    """Each item's (producer, province, product) public IDs and province."""
    found: dict[str, tuple[str, str, str]] = {}
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        rows = session.execute(
            select(Item.public_id, Producer.public_id, Producer.province, Product.public_id)
            .join(Batch, Item.batch_id == Batch.id)
            .join(Product, Batch.product_id == Product.id)
            .join(Producer, Product.producer_id == Producer.id)
            .where(Item.public_id.in_(chunk))
        ).all()
        for item, producer, province, product in rows:
            found[item] = (producer, current_province(province), product)
    return found


def fold_scans(session: Session, *, now: datetime | None = None, limit: int = FOLD_LIMIT) -> int:
    """Fold the scans recorded since the last fold into ``stat_scans`` (in the caller's write
    transaction, which the mark's row lock serialises); returns how many were folded."""
    now = now or datetime.now(UTC)
    mark = _mark(session)
    rows = session.execute(
        select(Scan.id, Scan.item_public_id, Scan.scanned_at)
        .where(Scan.id > mark.last_scan_id)
        .order_by(Scan.id)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    places = _places(session, sorted({r.item_public_id for r in rows}))
    scans: Counter[ScanKey] = Counter()
    signals: Counter[ScanKey] = Counter()
    for row in rows:
        place = places.get(row.item_public_id)
        if place is not None:
            scans[place[0], place[1], place[2], row.scanned_at.strftime("%Y-%m")] += 1
    month = now.strftime("%Y-%m")
    for item in _newly_flagged(session, sorted(places), now):
        producer, province, product = places[item]
        signals[producer, province, product, month] += 1
    _add(session, scans, signals)
    mark.last_scan_id = rows[-1].id
    return len(rows)


def _newly_flagged(session: Session, items: list[str], now: datetime) -> list[str]:
    flagged: list[str] = []
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        over = session.execute(
            select(ScanTotals.item_public_id).where(
                ScanTotals.item_public_id.in_(chunk),
                (ScanTotals.count > MANY_CHECKS) | (ScanTotals.clients > MANY_CLIENTS),
            )
        ).scalars()
        candidates = set(over)
        if not candidates:
            continue
        known = set(
            session.execute(
                select(StatScanFlag.item_public_id).where(
                    StatScanFlag.item_public_id.in_(sorted(candidates))
                )
            ).scalars()
        )
        for item in sorted(candidates - known):
            session.add(StatScanFlag(item_public_id=item, flagged_at=now))
            flagged.append(item)
    session.flush()
    return flagged


def _add(session: Session, scans: Counter[ScanKey], signals: Counter[ScanKey]) -> None:
    total: Counter[tuple[str, ScanKey]] = Counter()
    for name, counts in (("scans", scans), ("signals", signals)):
        for key, n in counts.items():
            for rollup in _rollups(key):
                total[name, rollup] += n
    keys = sorted({key for _, key in total})
    rows = [
        {
            "producer": k[0],
            "province": k[1],
            "product": k[2],
            "month": k[3],
            "scans": total["scans", k],
            "signals": total["signals", k],
        }
        for k in keys
    ]
    if rows:
        session.execute(_ADD, rows)
    ranked = _ranks(scans)
    if ranked:
        session.execute(
            _RANK,
            [{"province": p, "product": q, "scans": n} for (p, q), n in sorted(ranked.items())],
        )


def _rollups(key: ScanKey) -> tuple[ScanKey, ScanKey, ScanKey]:
    """Where a producer's count goes: its row, its province's row of the product, and its
    province's row of every product."""
    _, province, product, month = key
    return key, (NATIONAL, province, product, month), (NATION, province, NATION, month)


def _ranks(scans: Counter[ScanKey]) -> Counter[tuple[str, str]]:
    """(province, product) scans of ``scans``, and (NATION, product)."""
    ranked: Counter[tuple[str, str]] = Counter()
    for (_, province, product, _), n in scans.items():
        ranked[province, product] += n
        ranked[NATION, product] += n
    return ranked


def refold_scans(session: Session) -> int:
    """Start over: forget every fold and fold every scan again (``traceapp ledger rebuild``)."""
    for model in (StatScan, StatScanRank, StatScanFlag, StatScanMark):
        session.execute(delete(model))
    folded = total = fold_scans(session)
    while folded:
        folded = fold_scans(session)
        total += folded
    return total


def has_new_scans(session: Session) -> bool:
    """Whether a fold would find anything: two key reads, no lock (a page checks it first)."""
    last = session.execute(select(StatScanMark.last_scan_id).where(StatScanMark.id == 1)).scalar()
    newest = session.execute(select(Scan.id).order_by(Scan.id.desc()).limit(1)).scalar()
    return newest is not None and newest > (last or 0)


def check_scan_statistics(session: Session, origin: str) -> None:
    """``ledger verify --deep``: ``stat_scans`` against the scans up to the mark, counted again
    (scans per key; signals per product against the items flagged). AuditFailure on the first
    difference."""
    del origin  # scans are not in the ledger; the check is of this database alone
    last = session.execute(select(StatScanMark.last_scan_id).where(StatScanMark.id == 1)).scalar()
    expected: Counter[ScanKey] = Counter()
    per_item: Counter[tuple[str, str]] = Counter()
    for item, at in session.execute(
        select(Scan.item_public_id, Scan.scanned_at).where(Scan.id <= (last or 0))
    ).tuples():
        per_item[item, at.strftime("%Y-%m")] += 1
    places = _places(session, sorted({item for item, _ in per_item}))
    for (item, month), n in per_item.items():
        if item in places:
            producer, province, product = places[item]
            for rollup in _rollups((producer, province, product, month)):
                expected[rollup] += n
    found: Counter[ScanKey] = Counter()
    signals: Counter[tuple[str, str, str]] = Counter()
    for row in session.execute(select(StatScan)).scalars():
        found[row.producer, row.province, row.product, row.month] = row.scans
        signals[row.producer, row.province, row.product] += row.signals
    for key in sorted(expected.keys() | found.keys()):
        if expected[key] != found[key]:
            raise AuditFailure(
                f"stat_scans {key}: expected {expected[key]} scans, found {found[key]}"
            )
    ranked = _ranks(Counter({k: n for k, n in expected.items() if k[0] not in (NATIONAL, NATION)}))
    kept = Counter(
        {(r.province, r.product): r.scans for r in session.execute(select(StatScanRank)).scalars()}
    )
    for rank in sorted(ranked.keys() | kept.keys()):
        if ranked[rank] != kept[rank]:
            raise AuditFailure(
                f"stat_scan_ranks {rank}: expected {ranked[rank]} scans, found {kept[rank]}"
            )
    flags = list(session.execute(select(StatScanFlag.item_public_id)).scalars())
    flagged: Counter[tuple[str, str, str]] = Counter()
    for producer, province, product in _places(session, sorted(flags)).values():
        for rollup in _rollups((producer, province, product, "")):
            flagged[rollup[:3]] += 1
    for place in sorted(flagged.keys() | signals.keys()):
        if flagged[place] != signals[place]:
            raise AuditFailure(
                f"stat_scans {place}: expected {flagged[place]} signals, found {signals[place]}"
            )
