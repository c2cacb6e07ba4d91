"""The filters of the lists of products and certificates (GraphQL ``products`` and
``certifications``): a product's name and its producer's province compared through their
search keys (``i18n.search_key``, ``i18n.place_key``), so Vietnamese typed with or without
diacritics, in any case, finds the same rows on both engines, as ``producers.search`` does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from traceapp.i18n import place_key, search_key
from traceapp.producers.models import Producer
from traceapp.products.models import Certification, Product


def _in_province(province: str | None) -> Any:
    """The producers whose recorded province is ``province`` (whole), as a subquery; None
    when no province is asked for."""
    key = place_key(province) if province else None
    if not key:
        return None
    return select(Producer.id).where(Producer.province_key == key)


def product_filter(
    stmt: Select[Any], *, name: str | None = None, province: str | None = None
) -> Select[Any]:
    """``stmt`` (over ``products``) narrowed: name any part, the producer's province whole."""
    if name and (key := search_key(name)):
        stmt = stmt.where(Product.name_key.contains(key, autoescape=True))
    producers = _in_province(province)
    if producers is not None:
        stmt = stmt.where(Product.producer_id.in_(producers))
    return stmt


def certification_filter(
    stmt: Select[Any], *, product_name: str | None = None, province: str | None = None
) -> Select[Any]:
    """``stmt`` (over ``certifications``) narrowed to the products ``product_filter`` keeps."""
    if not (product_name and search_key(product_name)) and _in_province(province) is None:
        return stmt
    products = product_filter(select(Product.id), name=product_name, province=province)
    return stmt.where(Certification.product_id.in_(products))
