"""A producer's overview: counts read from the domain tables (the ledger's projections) and the
scans table, scoped to the producer by its products."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch, Item
from traceapp.i18n import vietnam_today
from traceapp.producers.models import Producer
from traceapp.products.models import Certification, Product
from traceapp.recalls.models import RecallBatch
from traceapp.scans.models import Scan

ENDING_SOON = timedelta(days=60)
SCAN_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class EndingCertificate:
    scheme: str
    product_vi: str
    product_en: str | None
    valid_until: date


@dataclass(frozen=True)
class Overview:
    producer: str
    products: int
    open_batches: int
    items_issued: int
    scans_this_week: int
    recalls: int
    certificates_ending: list[EndingCertificate]


def overview(session: Session, producer_public_id: str, today: date | None = None) -> Overview:
    """Open batches: not expired and not recalled. Certificates ending soon: valid, not revoked,
    ending within 60 days."""
    today = today or vietnam_today()
    producer = session.execute(
        select(Producer.id, Producer.name).where(Producer.public_id == producer_public_id)
    ).one()
    products = select(Product.id).where(Product.producer_id == producer.id)
    batches = select(Batch.id).where(Batch.product_id.in_(products))
    recalled = select(RecallBatch.batch_id).where(RecallBatch.batch_id.in_(batches))
    items = select(Item.public_id).where(Item.batch_id.in_(batches))

    def count(query: object) -> int:
        return int(session.execute(query).scalar_one())  # type: ignore[call-overload]

    ending = session.execute(
        select(Certification.scheme, Product.name_vi, Product.name_en, Certification.valid_until)
        .join(Product, Product.id == Certification.product_id)
        .where(
            Product.producer_id == producer.id,
            Certification.revoked_seq.is_(None),
            Certification.valid_until >= today,
            Certification.valid_until <= today + ENDING_SOON,
        )
        .order_by(Certification.valid_until)
        .limit(20)
    ).all()
    return Overview(
        producer=producer.name,
        products=count(select(func.count()).select_from(products.subquery())),
        open_batches=count(
            select(func.count())
            .select_from(Batch)
            .where(
                Batch.product_id.in_(products),
                or_(Batch.expiry_date.is_(None), Batch.expiry_date >= today),
                Batch.id.not_in(recalled),
            )
        ),
        items_issued=count(select(func.count()).select_from(items.subquery())),
        scans_this_week=count(
            select(func.count())
            .select_from(Scan)
            .where(
                Scan.item_public_id.in_(items),
                Scan.scanned_at >= datetime.now(UTC) - SCAN_WINDOW,
            )
        ),
        recalls=count(
            select(func.count(func.distinct(RecallBatch.recall_id))).where(
                RecallBatch.batch_id.in_(batches)
            )
        ),
        certificates_ending=[EndingCertificate(r[0], r[1], r[2], r[3]) for r in ending],
    )
