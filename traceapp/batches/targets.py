"""What a GS1 Digital Link names, as recorded: a product and, if any, its batch and item.

Shared by the QR images (web) and the label sheets (CLI), so both find a code the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch, Item
from traceapp.db.statements import unindexed
from traceapp.gs1.digital_link import DigitalLink
from traceapp.products.models import Product


@dataclass(frozen=True, slots=True)
class Target:
    """What a Digital Link names, as recorded: the product and, if any, batch and item."""

    product: Product
    batch: Batch | None = None
    item: Item | None = None

    def link(self) -> DigitalLink:
        """The canonical link: the lot of a serial is always included, with the expiry."""
        product, batch, item = self.product, self.batch, self.item
        return DigitalLink(
            product.gtin,
            lot=batch.lot if batch else None,
            serial=item.serial if item else None,
            expiry=batch.expiry_date if batch else None,
        )


def find_target(session: Session, link: DigitalLink) -> Target | None:
    """The recorded product, batch or item ``link`` names, or None."""
    product = session.execute(select(Product).where(Product.gtin == link.gtin)).scalar_one_or_none()
    if product is None:
        return None
    if link.serial is not None:
        query = (
            select(Item, Batch)
            .join(Batch, Item.batch_id == Batch.id)
            .where(unindexed(Batch.product_id) == product.id, Item.serial == link.serial)
        )
        if link.lot is not None:
            query = query.where(Batch.lot == link.lot)
        row = session.execute(query).first()
        return None if row is None else Target(product, row[1], row[0])
    if link.lot is not None:
        batch = session.execute(
            select(Batch).where(Batch.product_id == product.id, Batch.lot == link.lot)
        ).scalar_one_or_none()
        return None if batch is None else Target(product, batch)
    return Target(product)


def find_printed(session: Session, lot: str, serial: str) -> list[tuple[str, str, str]]:
    """(gtin, lot, serial) of the items with this lot and serial, as printed under a label's
    QR Code (the label prints no GTIN); at most two: more than one is ambiguous."""
    rows = session.execute(
        select(Product.gtin, Batch.lot, Item.serial)
        .join(Batch, Batch.product_id == Product.id)
        .join(Item, Item.batch_id == Batch.id)
        .where(Batch.lot == lot, Item.serial == serial)
        .limit(2)
    ).all()
    return [(gtin, lot_, serial_) for gtin, lot_, serial_ in rows]
