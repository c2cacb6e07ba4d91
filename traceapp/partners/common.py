"""Shared by the portal export and the feed: Vietnam's calendar and the catalogue's version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceapp.ledger_store.models import LedgerEntry
from traceapp.producers.models import Producer
from traceapp.products.models import Certification, Product

# OCOP certificates are dated in Vietnam: which are valid follows Vietnam's calendar.


@dataclass(frozen=True)
class CatalogueVersion:
    """The newest ledger entry that shaped the catalogue, and the day validity was judged on."""

    seq: int
    today: date

    @property
    def etag(self) -> str:
        return f'"c{self.seq}-{self.today.isoformat()}"'


def catalogue_version(session: Session, today: date) -> CatalogueVersion:
    """One read: the latest entry of products, their photos, producers (and their suspensions)
    and certificates."""
    # Separate scalar subqueries: joining the tables would multiply the rows.
    row = session.execute(
        select(
            select(func.max(Product.updated_seq)).scalar_subquery(),
            select(func.max(Product.photo_seq)).scalar_subquery(),
            select(func.max(Producer.updated_seq)).scalar_subquery(),
            select(func.max(Certification.ledger_seq)).scalar_subquery(),
            select(func.max(Certification.revoked_seq)).scalar_subquery(),
            # A suspended producer's products leave the catalogue, and come back on resume.
            select(func.max(LedgerEntry.seq))
            .where(LedgerEntry.type.in_(("producer.suspended", "producer.resumed")))
            .scalar_subquery(),
        )
    ).one()
    return CatalogueVersion(max((int(v) for v in row if v is not None), default=-1), today)
