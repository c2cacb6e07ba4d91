"""The labels of a batch's issued items, read from the database (the sheet itself is pure
rendering, ``labels.sheet``): the CLI prints a whole batch, the console one issue with PINs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch, Item
from traceapp.gs1.digital_link import DigitalLink, format_uri
from traceapp.labels.sheet import Label
from traceapp.products.models import Certification, Product


def ocop_stars(session: Session, product: Product, today: date) -> int | None:
    """The stars of the product's OCOP certificate valid today (the best, if several)."""
    certificates = session.execute(
        select(Certification).where(
            Certification.product_id == product.id, Certification.scheme == "OCOP"
        )
    ).scalars()
    stars = [c.stars for c in certificates if c.stars and c.status(today) == "valid"]
    return max(stars, default=None)


def batch_labels(
    session: Session,
    batch: Batch,
    public_url: str,
    today: date,
    serials: Sequence[str] | None = None,
    *,
    pins: Mapping[str, str] | None = None,
    hint: str | None = None,
) -> list[Label]:
    """One label per item of ``batch`` (or per serial of ``serials``), in issue order, each
    with its Digital Link URI, and its PIN if ``pins`` has one for its serial."""
    product = session.get(Product, batch.product_id)
    assert product is not None
    stars = ocop_stars(session, product, today)
    if serials is None:
        serials = list(
            session.execute(
                select(Item.serial).where(Item.batch_id == batch.id).order_by(Item.id)
            ).scalars()
        )
    pins = pins or {}
    labels = []
    for serial in serials:
        link = DigitalLink(product.gtin, batch.lot, serial, batch.expiry_date)
        labels.append(
            Label(
                uri=format_uri(public_url, link, today=today),
                product_name=product.name_vi,
                lot=batch.lot,
                serial=serial,
                stars=stars,
                expiry=batch.expiry_date,
                hint=hint,
                pin=pins.get(serial),
            )
        )
    return labels
