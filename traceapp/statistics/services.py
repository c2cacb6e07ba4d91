"""Reading the statistics: sums over the aggregates' rows, never over the domain tables.

A ``Scope`` (``statistics.scopes``) says whose figures: the nation, one province, or one
producer's own rows (what a producer may see). Every read takes the session it is given; a
caller that shows figures with the checkpoint they were read at reads both in one snapshot
session (``Database.snapshot_sessions``).
"""

from __future__ import annotations

import base64
from calendar import monthrange
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from traceapp.ledger_store.reads import latest_checkpoint_head
from traceapp.producers.models import PRODUCER_KINDS, Producer
from traceapp.products.models import PRODUCT_GROUPS, Product
from traceapp.statistics.errors import InvalidFilter
from traceapp.statistics.models import (
    NATION,
    NATIONAL,
    StatBatchRank,
    StatCount,
    StatScan,
    StatScanRank,
)
from traceapp.statistics.projections import REVOKED
from traceapp.statistics.provinces import fold, provinces
from traceapp.statistics.scopes import Scope, plan_for_the_values, rollup_rows

MONTHS = 12
TOP = 20
STARS = ("3", "4", "5")


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root: str  # base64, as in the signed checkpoint


@dataclass(frozen=True)
class Figure:
    key: str
    count: int


@dataclass(frozen=True)
class Capacity:
    product: str
    name: str
    month: str
    unit: str
    batches: int
    quantity: float


@dataclass(frozen=True)
class ScanFigure:
    key: str
    name: str
    scans: int
    signals: int


PARTS = (
    "producers",
    "communes",
    "products",
    "certificates",
    "expiring",
    "items",
    "events",
    "capacity",
    "scans_by_province",
    "scans_by_product",
)
"""What ``statistics`` can read, each with its own statements: a caller names the parts it
shows (a GraphQL query, what it selects) and the others stay zero and empty."""


@dataclass(frozen=True)
class Statistics:
    checkpoint: Checkpoint
    today: date
    scope: Scope
    producers: int = 0
    products: int = 0
    certificates_valid: int = 0
    producers_by_province: list[Figure] = field(default_factory=list)
    producers_by_commune: list[Figure] = field(default_factory=list)
    producers_by_kind: list[Figure] = field(default_factory=list)
    producers_by_status: list[Figure] = field(default_factory=list)
    products_by_group: list[Figure] = field(default_factory=list)
    products_by_province: list[Figure] = field(default_factory=list)
    certificates_by_stars: list[Figure] = field(default_factory=list)
    certificates_by_province: list[Figure] = field(default_factory=list)
    expiring_30: int = 0
    expiring_90: int = 0
    items_per_month: list[Figure] = field(default_factory=list)
    events_per_month: list[Figure] = field(default_factory=list)
    capacity: list[Capacity] = field(default_factory=list)
    scans_by_province: list[ScanFigure] = field(default_factory=list)
    scans_by_product: list[ScanFigure] = field(default_factory=list)


def checkpoint(session: Session, origin: str) -> Checkpoint:
    size, root, _ = latest_checkpoint_head(session, origin)
    return Checkpoint(size, base64.b64encode(root).decode())


def _figures(counts: Counter[str], order: tuple[str, ...] | None = None) -> list[Figure]:
    if order is not None:
        return [Figure(k, counts.get(k, 0)) for k in order]
    return [Figure(k, n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], fold(kv[0])))]


def _communes(session: Session, scope: Scope) -> list[str]:
    """The communes as recorded that match the filter: any case, with or without diacritics."""
    assert scope.commune is not None
    recorded = session.execute(
        select(StatCount.commune)
        .where(*rollup_rows(scope, "producers", by_commune=True))
        .group_by(StatCount.commune)
    ).scalars()
    return [name for name in recorded if fold(name) == fold(scope.commune)]


def _filters(
    session: Session,
    scope: Scope,
    metric: str,
    extra: Any = (),
    by_commune: bool = False,
    since: str | None = None,
) -> list[Any]:
    """The rows of ``metric`` in ``scope``: ``rollup_rows`` and, with a commune filter, its
    communes."""
    conditions = [*rollup_rows(scope, metric, by_commune, since), *extra]
    if scope.commune is not None:
        conditions.append(StatCount.commune.in_(_communes(session, scope)))
    return conditions


def _by(
    session: Session,
    scope: Scope,
    metric: str,
    *columns: str,
    extra: Any = (),
    since: str | None = None,
) -> list[Any]:
    """Sums of n and amount grouped by ``columns`` (the SQL groups: a few hundred rows back),
    of a month metric ``since`` a month on."""
    cols = [getattr(StatCount, c) for c in columns]
    conditions = _filters(session, scope, metric, extra, "commune" in columns, since)
    query = select(*cols, func.sum(StatCount.n), func.sum(StatCount.amount_milli)).where(
        *conditions
    )
    if cols:
        query = query.group_by(*cols)
    # Without columns an empty sum is one row of NULLs: no row.
    return [row for row in session.execute(query).all() if row[-2] is not None]


def _tally(rows: list[Any], index: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in rows:
        counts[str(row[index])] += int(row[-2])
    return counts


def _valid(today: date, until: date) -> list[Any]:
    """The day rows of certificates not revoked that end from ``today`` to ``until``."""
    return [
        StatCount.k3 != REVOKED,
        StatCount.k3 >= today.isoformat(),
        StatCount.k3 <= until.isoformat(),
    ]


def _in_force(session: Session, scope: Scope, today: date, *columns: str) -> list[Any]:
    """The certificates in force today (not revoked, ending today or later), summed by
    ``columns`` as ``_by`` does: those ending in a later year (``cert_years``), in a later
    month of this year (``cert_months``) and on a day of this month from today on (the day
    rows). Each is a range of ``ix_stat_counts_ranges``, so the rows read are bounded by the
    provinces, stars and the days of a month, months of a year and years a certificate runs,
    never by the certificates nor by the days gone by; the figure stays exact to the day."""
    year, month = f"{today.year:04d}", f"{today.year:04d}-{today.month:02d}"
    month_end = today.replace(day=monthrange(today.year, today.month)[1])
    later_months = [StatCount.k3 > month, StatCount.k3 <= f"{year}-12"]
    return [
        *_by(session, scope, "cert_years", *columns, extra=[StatCount.k3 > year]),
        *_by(session, scope, "cert_months", *columns, extra=later_months),
        *_by(session, scope, "certificates", *columns, extra=_valid(today, month_end)),
    ]


def _months(today: date, count: int) -> tuple[str, ...]:
    months: list[str] = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return tuple(reversed(months))


def statistics(
    session: Session, origin: str, scope: Scope, today: date, parts: Collection[str] = PARTS
) -> Statistics:
    """The figures of the office's page (and of the GraphQL ``statistics`` field): the
    ``parts`` named (``PARTS``, every one by default)."""
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"no statistics part {', '.join(sorted(unknown))}")
    plan_for_the_values(session)
    cp = checkpoint(session, origin)
    found: dict[str, Any] = {}
    if "producers" in parts:
        producers = _by(session, scope, "producers", "province", "k1", "k2")
        found.update(
            producers=sum(int(r[-2]) for r in producers),
            producers_by_province=_figures(_tally(producers, 0)),
            producers_by_kind=_figures(_tally(producers, 1), PRODUCER_KINDS),
            producers_by_status=_figures(_tally(producers, 2)),
        )
    if "communes" in parts and scope.province:
        communes = _by(session, scope, "producers", "commune")
        found["producers_by_commune"] = _figures(_tally(communes, 0))
    if "products" in parts:
        products = _by(session, scope, "products", "province", "k1")
        found.update(
            products=sum(int(r[-2]) for r in products),
            products_by_group=_figures(_tally(products, 1), PRODUCT_GROUPS),
            products_by_province=_figures(_tally(products, 0)),
        )
    if "certificates" in parts:
        certificates = _in_force(session, scope, today, "province", "k1", "k2")
        ocop = [row for row in certificates if row[1] == "OCOP"]
        found.update(
            certificates_valid=sum(int(r[-2]) for r in certificates),
            certificates_by_stars=_figures(_tally(ocop, 2), STARS),
            certificates_by_province=_figures(_tally(certificates, 0)),
        )
    if "expiring" in parts:
        found.update(
            expiring_30=_expiring_count(session, scope, today, 30),
            expiring_90=_expiring_count(session, scope, today, 90),
        )
    months = _months(today, MONTHS)
    for metric in ("items", "events"):
        if metric in parts:
            rows = _by(session, scope, metric, "k1", since=months[0])
            found[f"{metric}_per_month"] = _figures(_tally(rows, 0), months)
    if "capacity" in parts:
        found["capacity"] = capacity(session, scope, today)
    for by in ("province", "product"):
        if f"scans_by_{by}" in parts:
            found[f"scans_by_{by}"] = scans_by(session, scope, by, today)
    return Statistics(cp, today, scope, **found)


def producers_total(session: Session, *, kind: str | None = None, status: str | None = None) -> int:
    """How many producers there are (of ``kind``, in ``status``), from the provinces' roll-ups:
    a few dozen rows where a count of the producers reads every one (the office's list)."""
    rows = _by(session, Scope(kind=kind), "producers", "k2")
    return sum(int(row[-2]) for row in rows if status is None or row[0] == status)


def _expiring_count(session: Session, scope: Scope, today: date, days: int) -> int:
    rows = _by(session, scope, "certificates", extra=_valid(today, today + timedelta(days=days)))
    return sum(int(r[-2]) for r in rows)


def _product_names(session: Session, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(
        session.execute(
            select(Product.public_id, Product.name_vi).where(Product.public_id.in_(ids))
        )
        .tuples()
        .all()
    )


def _owners(session: Session, products: list[str]) -> list[str]:
    """The public IDs of the producers of ``products``."""
    return list(
        session.execute(
            select(Producer.public_id)
            .join(Product, Product.producer_id == Producer.id)
            .where(Product.public_id.in_(products))
            .distinct()
        ).scalars()
    )


def ranking(
    scope: Scope,
    rank: type[StatBatchRank] | type[StatScanRank],
    by: InstrumentedAttribute[int],
    top: int,
) -> Select[tuple[str]]:
    """The ``top`` products of ``rank`` (``StatBatchRank`` or ``StatScanRank``) in ``scope`` by
    ``by``, most first: the first rows of the ranking's index in the province's (or the
    nation's) range, however many products there are; a producer's among its own products."""
    query = select(rank.product).where(rank.province == (scope.province or NATION))
    if scope.producer is not None:
        own = (
            select(Product.public_id)
            .join(Producer, Product.producer_id == Producer.id)
            .where(Producer.public_id == scope.producer)
        )
        query = query.where(rank.product.in_(own))
    return query.order_by(by.desc(), rank.product).limit(top)


def _top_products(session: Session, scope: Scope, top: int) -> list[str]:
    """The ``top`` products by batches ever made (``stat_batch_ranks``)."""
    ranked = ranking(scope, StatBatchRank, StatBatchRank.batches, top)
    return list(session.execute(ranked).scalars())


def _volumes_of(session: Session, scope: Scope, products: list[str], since: str) -> list[Any]:
    """The month rows (k1, k2, k3, n, amount) of ``products`` since ``since``, summed from
    their producers' own rows (a producer's few products and months): the sum of a scope's
    roll-ups, read without the roll-ups' row a product and month of the whole scope."""
    if not products:
        return []
    owners = [scope.producer] if scope.producer else _owners(session, products)
    conditions: list[Any] = [
        StatCount.metric == "batches",
        StatCount.producer.in_(owners),
        StatCount.k1 >= since,
        StatCount.k2.in_(products),
    ]
    if scope.province:
        conditions.append(StatCount.province == scope.province)
    columns = (StatCount.k1, StatCount.k2, StatCount.k3)
    return list(
        session.execute(
            select(*columns, func.sum(StatCount.n), func.sum(StatCount.amount_milli))
            .where(*conditions)
            .group_by(*columns)
        ).all()
    )


def capacity(
    session: Session, scope: Scope, today: date, *, top: int | None = TOP
) -> list[Capacity]:
    """Batch volumes by product and production month, the last MONTHS months: of the ``top``
    products by batches ever made (their months read alone, ``_volumes_of``: the rows read
    grow with neither the catalogue nor the months of history), or with ``top`` None of
    every product with batches in those months, most batches first (exports).

    Batches are counted by province, not commune: a commune's scope has no capacity rows."""
    plan_for_the_values(session)
    since = _months(today, MONTHS)[0]
    if top is not None:
        chosen = [] if scope.commune is not None else _top_products(session, scope, top)
        rows = _volumes_of(session, scope, chosen, since)
    else:
        rows = _by(session, scope, "batches", "k1", "k2", "k3", since=since)
        per_product: Counter[str] = Counter()
        for row in rows:
            per_product[row[1]] += int(row[-2])
        chosen = [p for p, _ in sorted(per_product.items(), key=lambda kv: (-kv[1], kv[0]))]
    names = _product_names(session, chosen)
    found = [
        Capacity(row[1], names.get(row[1], ""), row[0], row[2], int(row[-2]), int(row[-1]) / 1000)
        for row in rows
    ]
    rank = {p: i for i, p in enumerate(chosen)}
    return sorted(found, key=lambda c: (rank[c.product], c.month, c.unit))


def scans_by(
    session: Session, scope: Scope, by: str, today: date, *, top: int | None = TOP
) -> list[ScanFigure]:
    """Scans and suspected-copy signals of the last MONTHS months by ``province`` or
    ``product``, most scans first. A nation's or province's figures by province read a row a
    province and month; by product, with ``top``, the ``top`` products by scans ever
    (``stat_scan_ranks``), each with its figures of those months read from its producer's
    rows, as ``capacity`` reads its months; with ``top`` None, every product (exports)."""
    if by not in ("province", "product"):
        raise InvalidFilter("province or product", field="by")
    plan_for_the_values(session)
    column = StatScan.province if by == "province" else StatScan.product
    conditions: list[Any] = [StatScan.month >= _months(today, MONTHS)[0]]
    if scope.province:
        conditions.append(StatScan.province == scope.province)
    if scope.producer is not None:
        conditions.append(StatScan.producer == scope.producer)
    elif by == "province":
        conditions.append(StatScan.producer == NATION)  # the provinces' rows of every product
    elif top is None:
        conditions.append(StatScan.producer == NATIONAL)
    else:
        chosen = list(
            session.execute(ranking(scope, StatScanRank, StatScanRank.scans, top)).scalars()
        )
        conditions += [
            StatScan.producer.in_(_owners(session, chosen)),
            StatScan.product.in_(chosen),
        ]
    query = (
        select(column, func.sum(StatScan.scans), func.sum(StatScan.signals))
        .where(*conditions)
        .group_by(column)
        .order_by(func.sum(StatScan.scans).desc(), column)
    )
    if top is not None:
        query = query.limit(top)
    rows = session.execute(query).all()
    names = _product_names(session, [r[0] for r in rows]) if by == "product" else {}
    return [ScanFigure(r[0], names.get(r[0], r[0]), int(r[1]), int(r[2])) for r in rows]


def province_names() -> tuple[str, ...]:
    return provinces()
