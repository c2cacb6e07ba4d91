"""Aggregates kept on append: followers of the domains' projectors (``Projectors.follow``).

Metrics of ``stat_counts`` and what their keys hold:

- ``producers``: k1 kind, k2 status; ``products``: k1 group;
- ``certificates``: k1 scheme, k2 stars ('' when none), k3 valid until (ISO date) or
  ``revoked``: a certificate's status on a day is read from its row's k3;
- ``cert_months`` and ``cert_years``: the certificates not revoked, k1 and k2 as above, k3 the
  month (YYYY-MM) or year (YYYY) they end. The certificates in force today are those ending
  in a later year, a later month of this year or a day of this month from today on: three
  ranges of rows bounded by the provinces, stars and months of a year (and the years a
  certificate runs), however many certificates and days there are (``services._in_force``);
- ``items``: k1 month (YYYY-MM) the items were issued (entry time); ``events``: k1 month the
  events were recorded (entry time);
- ``batches``: k1 production month, k2 product public ID, k3 unit ('' when none); n batches,
  ``amount_milli`` their quantities.

A product's batches ever are also kept in ``stat_batch_ranks`` (its province's row and the
nation's), the capacity's ranking (``services.capacity``).

The catalogue's counts of a producer are recomputed from its rows whenever a statement changes
them (``refresh_producer``: a producer has tens of products, so this is a few small reads) and
the difference is applied to the province's roll-up; the per-entry counts (items, events,
batches) are added as they come, one upsert per key per run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch
from traceapp.ledger_store.projections import BatchProjector, Projector
from traceapp.ledger_store.sequencer import Appended
from traceapp.producers.models import Producer
from traceapp.products.models import Certification, Product
from traceapp.statistics.models import ALL_COMMUNES, NATION, NATIONAL, StatCount
from traceapp.statistics.provinces import UNKNOWN, current_province

CATALOGUE = ("producers", "products", "certificates", "cert_months", "cert_years")
REVOKED = "revoked"
ACTIVE = "active"

Key = tuple[str, str, str, str, str, str, str]
"""(metric, producer, province, commune, k1, k2, k3)"""

_UPSERT = text(
    "INSERT INTO stat_counts (metric, producer, province, commune, k1, k2, k3, n, amount_milli) "
    "VALUES (:metric, :producer, :province, :commune, :k1, :k2, :k3, :n, :amount) "
    "ON CONFLICT (metric, producer, province, commune, k1, k2, k3) DO UPDATE SET "
    "n = stat_counts.n + excluded.n, amount_milli = stat_counts.amount_milli + excluded.amount_milli"
)
_DROP_EMPTY = text(
    "DELETE FROM stat_counts WHERE metric = :metric AND producer = :producer "
    "AND province = :province AND commune = :commune AND k1 = :k1 AND k2 = :k2 AND k3 = :k3 "
    "AND n = 0 AND amount_milli = 0"
)
_RANK_BATCH = text(
    "INSERT INTO stat_batch_ranks (province, product, batches) VALUES (:province, :product, 1) "
    "ON CONFLICT (province, product) DO UPDATE SET batches = stat_batch_ranks.batches + 1"
)
_FIELDS = ("metric", "producer", "province", "commune", "k1", "k2", "k3")


def producer_status(producer: Producer) -> str:
    """The producer's ``status`` (``active``/``suspended``) where its model has one (the
    office's suspension, issue 17), else ``active``."""
    return str(getattr(producer, "status", ACTIVE))


def add(session: Session, counts: Counter[Key], amounts: Counter[Key] | None = None) -> None:
    """Add ``counts`` (and ``amounts``) to the producers' rows and to the roll-ups of their
    commune and of their province."""
    amounts = amounts or Counter()
    total: Counter[Key] = Counter()
    total_amount: Counter[Key] = Counter()
    for key in counts.keys() | amounts.keys():
        commune = (key[0], NATIONAL, *key[2:])
        province = (key[0], NATIONAL, key[2], ALL_COMMUNES, *key[4:])
        for target in {key, commune, province}:
            total[target] += counts[key]
            total_amount[target] += amounts[key]
    changed = [
        (key, total[key], total_amount[key])
        for key in sorted(total.keys() | total_amount.keys())
        if total[key] or total_amount[key]
    ]
    if not changed:
        return
    rows = [{**dict(zip(_FIELDS, k, strict=True)), "n": n, "amount": a} for k, n, a in changed]
    session.execute(_UPSERT, rows)
    emptied = [row for row, (_, n, a) in zip(rows, changed, strict=True) if n < 0 or a < 0]
    if emptied:
        session.execute(_DROP_EMPTY, emptied)


def _place(producer: Producer) -> tuple[str, str]:
    return current_province(producer.province), producer.commune or ""


def _wanted(session: Session, producer: Producer) -> Counter[Key]:
    """The catalogue's counts of one producer, as its rows should hold them."""
    province, commune = _place(producer)
    me = producer.public_id
    wanted: Counter[Key] = Counter()
    wanted["producers", me, province, commune, producer.kind, producer_status(producer), ""] = 1
    groups = session.execute(
        select(Product.group, func.count())
        .where(Product.producer_id == producer.id)
        .group_by(Product.group)
    ).all()
    for group, n in groups:
        wanted["products", me, province, commune, group, "", ""] = n
    certificates = session.execute(
        select(
            Certification.scheme,
            Certification.stars,
            Certification.valid_until,
            Certification.revoked_seq.is_not(None),
            func.count(),
        )
        .join(Product, Certification.product_id == Product.id)
        .where(Product.producer_id == producer.id)
        .group_by(
            Certification.scheme,
            Certification.stars,
            Certification.valid_until,
            Certification.revoked_seq.is_not(None),
        )
    ).all()
    for scheme, stars, valid_until, revoked, n in certificates:
        k3 = REVOKED if revoked else valid_until.isoformat()
        wanted["certificates", me, province, commune, scheme, str(stars or ""), k3] += n
        if not revoked:
            wanted["cert_months", me, province, commune, scheme, str(stars or ""), k3[:7]] += n
            wanted["cert_years", me, province, commune, scheme, str(stars or ""), k3[:4]] += n
    return wanted


def refresh_producer(session: Session, public_id: str) -> None:
    """Bring a producer's catalogue counts (and its province's roll-up) to its rows' state."""
    producer = session.execute(select(Producer).where(Producer.public_id == public_id)).scalar_one()
    held: Counter[Key] = Counter()
    for row in session.execute(
        select(StatCount).where(StatCount.metric.in_(CATALOGUE), StatCount.producer == public_id)
    ).scalars():
        held[row.metric, row.producer, row.province, row.commune, row.k1, row.k2, row.k3] = row.n
    wanted = _wanted(session, producer)
    delta: Counter[Key] = Counter()
    for key in held.keys() | wanted.keys():
        delta[key] = wanted[key] - held[key]
    add(session, Counter({k: v for k, v in delta.items() if v}))


_PRODUCER_OF_PRODUCT = (
    select(Producer.public_id)
    .join(Product, Product.producer_id == Producer.id)
    .where(Product.public_id == bindparam("product"))
)
_PRODUCER_OF_CERTIFICATE = (
    select(Producer.public_id)
    .join(Product, Product.producer_id == Producer.id)
    .join(Certification, Certification.product_id == Product.id)
    .where(Certification.public_id == bindparam("certificate"))
)


def _producer_changed(session: Session, appended: Appended) -> None:
    refresh_producer(session, appended.entry.statement["id"])


def _product_registered(session: Session, appended: Appended) -> None:
    refresh_producer(session, appended.entry.statement["producer"])


def _product_changed(session: Session, appended: Appended) -> None:
    owner = session.execute(_PRODUCER_OF_PRODUCT, {"product": appended.entry.statement["id"]})
    refresh_producer(session, owner.scalar_one())


def _certification_granted(session: Session, appended: Appended) -> None:
    owner = session.execute(_PRODUCER_OF_PRODUCT, {"product": appended.entry.statement["product"]})
    refresh_producer(session, owner.scalar_one())


def _certification_revoked(session: Session, appended: Appended) -> None:
    owner = session.execute(
        _PRODUCER_OF_CERTIFICATE, {"certificate": appended.entry.statement["id"]}
    )
    refresh_producer(session, owner.scalar_one())


_PLACE_OF_BATCH = (
    select(Producer.public_id, Producer.province, Product.public_id.label("product"))
    .join(Product, Product.producer_id == Producer.id)
    .join(Batch, Batch.product_id == Product.id)
    .where(Batch.public_id == bindparam("batch"))
)


def _month(appended: Appended) -> str:
    return appended.entry.recorded[:7]


def _batch_created(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    row = session.execute(_PLACE_OF_BATCH, {"batch": s["id"]}).one()
    key: Key = (
        "batches",
        row.public_id,
        current_province(row.province),
        "",
        s["production_date"][:7],
        row.product,
        s["unit"] or "",
    )
    amount = int(Decimal(s["quantity"]) * 1000) if s["quantity"] is not None else 0
    add(session, Counter({key: 1}), Counter({key: amount}))
    ranked = [{"province": p, "product": row.product} for p in (key[2], NATION)]
    session.execute(_RANK_BATCH, ranked)


def _items_issued(session: Session, appended: Appended) -> None:
    s = appended.entry.statement
    row = session.execute(_PLACE_OF_BATCH, {"batch": s["batch"]}).one()
    key: Key = (
        "items",
        row.public_id,
        current_province(row.province),
        "",
        _month(appended),
        "",
        "",
    )
    add(session, Counter({key: len(s["items"])}))


_PROVINCES = select(Producer.__table__.c.public_id, Producer.__table__.c.province).where(
    Producer.__table__.c.public_id.in_(bindparam("producers", expanding=True))
)


def _provinces_of(session: Session, producers: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(producers))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for public_id, province in session.execute(_PROVINCES, {"producers": chunk}):
            found[public_id] = current_province(province)
    return found


def events_counted(session: Session, run: Sequence[Appended]) -> None:
    """Events recorded per producer and month; an event of no producer counts nationally."""
    producers = [a.entry.statement["producer"] for a in run if a.entry.statement["producer"]]
    provinces = _provinces_of(session, producers)
    counts: Counter[Key] = Counter()
    for appended in run:
        producer = appended.entry.statement["producer"] or None
        # No producer: the roll-up row alone (``add`` counts a roll-up key once).
        where = (producer, provinces[producer]) if producer else (NATIONAL, UNKNOWN)
        counts["events", *where, "", _month(appended), "", ""] += 1
    add(session, counts)


def _event_recorded(session: Session, appended: Appended) -> None:
    events_counted(session, [appended])


FOLLOWERS: dict[str, Projector] = {
    "producer.registered": _producer_changed,
    # The office's changes of a producer's address or status (``statement["id"]``): followed
    # where the app projects them (``traceapp/projectors.py``).
    "producer.updated": _producer_changed,
    "producer.suspended": _producer_changed,
    "producer.resumed": _producer_changed,
    "product.registered": _product_registered,
    "product.updated": _product_changed,
    "certification.granted": _certification_granted,
    "certification.revoked": _certification_revoked,
    "batch.created": _batch_created,
    "items.issued": _items_issued,
    "event.recorded": _event_recorded,
}
BATCH_FOLLOWERS: dict[str, BatchProjector] = {"event.recorded": events_counted}
