"""The marketplace catalogue feed: certified OCOP products as schema.org JSON-LD and as CSV.

A product is in the feed while it holds a valid OCOP certificate (Vietnam's calendar, not
revoked); its stars are that certificate's. Each product names its GS1 Digital Link URI, so a
marketplace listing links to the same verified page as the stamp, and its ledger entry.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.exports.writers import safe_cell
from traceapp.gs1.digital_link import DigitalLink, format_uri
from traceapp.media.images import JPEG, WEBP, media_path
from traceapp.partners.errors import InvalidFilter
from traceapp.producers.models import Producer
from traceapp.products.models import PRODUCT_GROUPS, Certification, Product
from traceapp.statistics.provinces import fold

OCOP = "OCOP"
STARS = (3, 4, 5)
CSV_COLUMNS = (
    "gtin",
    "name_vi",
    "name_en",
    "group",
    "ocop_stars",
    "ocop_valid_from",
    "ocop_valid_until",
    "ocop_decision_number",
    "ocop_issuer",
    "producer_id",
    "producer_name",
    "province",
    "commune",
    "photo_url",
    "photo_jpeg_url",
    "digital_link",
    "ledger_index",
)


@dataclass(frozen=True)
class FeedFilter:
    producer: str | None = None
    province: str | None = None
    stars: int | None = None  # at least this many
    group: str | None = None

    @classmethod
    def parse(cls, args: dict[str, str]) -> FeedFilter:
        """From query arguments; anything unknown or out of range is refused, naming it."""
        unknown = sorted(set(args) - {"producer", "province", "stars", "group"})
        if unknown:
            raise InvalidFilter(f"unknown filter {unknown[0]!r}", field=unknown[0])
        stars = args.get("stars")
        if stars is not None and stars not in {str(s) for s in STARS}:
            raise InvalidFilter("stars is 3, 4 or 5 (at least that many)", field="stars")
        group = args.get("group")
        if group is not None:
            group = group.strip().lower()
            if group not in PRODUCT_GROUPS:
                raise InvalidFilter(f"group is one of {', '.join(PRODUCT_GROUPS)}", field="group")
        province = (args.get("province") or "").strip() or None
        return cls(args.get("producer") or None, province, int(stars) if stars else None, group)


@dataclass(frozen=True)
class FeedProduct:
    gtin: str
    name_vi: str
    name_en: str | None
    group: str
    description: str | None
    photo_url: str | None
    photo_jpeg_url: str | None
    stars: int | None
    valid_from: date
    valid_until: date
    decision_number: str
    issuer: str
    producer_id: str
    producer_name: str
    province: str
    commune: str | None
    digital_link: str
    ledger_index: int


def certified_products(
    session: Session, base_url: str, filters: FeedFilter, today: date
) -> list[FeedProduct]:
    """Products with a valid OCOP certificate on ``today``, by GTIN, filtered."""
    stmt = (
        select(Product, Producer, Certification)
        .join(Producer, Product.producer_id == Producer.id)
        .join(Certification, Certification.product_id == Product.id)
        .where(
            Certification.scheme == OCOP,
            Certification.revoked_seq.is_(None),
            Certification.issued_on <= today,
            Certification.valid_until >= today,
        )
        .order_by(Product.gtin, Certification.stars.desc(), Certification.valid_until.desc())
    )
    if filters.producer is not None:
        stmt = stmt.where(Producer.public_id == filters.producer)
    if filters.group is not None:
        stmt = stmt.where(Product.group == filters.group)
    if filters.stars is not None:
        stmt = stmt.where(Certification.stars >= filters.stars)
    province = fold(filters.province) if filters.province else None
    listed: dict[str, FeedProduct] = {}
    for product, producer, certificate in session.execute(stmt).tuples():
        if product.gtin in listed:  # the first row is the best certificate
            continue
        if province is not None and fold(producer.province) != province:
            continue
        listed[product.gtin] = _feed_product(product, producer, certificate, base_url)
    return list(listed.values())


def _feed_product(
    product: Product, producer: Producer, certificate: Certification, base_url: str
) -> FeedProduct:
    photo = product.photo
    return FeedProduct(
        gtin=product.gtin,
        name_vi=product.name_vi,
        name_en=product.name_en,
        group=product.group,
        description=product.description,
        photo_url=base_url + media_path(photo["sha256"], WEBP) if photo else product.image_url,
        photo_jpeg_url=base_url + media_path(photo["jpeg"], JPEG) if photo else None,
        stars=certificate.stars,
        valid_from=certificate.issued_on,
        valid_until=certificate.valid_until,
        decision_number=certificate.decision_number,
        issuer=certificate.issuer,
        producer_id=producer.public_id,
        producer_name=producer.name,
        province=producer.province,
        commune=producer.commune,
        digital_link=format_uri(base_url, DigitalLink(product.gtin)),
        ledger_index=product.ledger_seq,
    )


def as_jsonld(products: list[FeedProduct]) -> dict[str, Any]:
    """A schema.org ItemList of Products (names in vi and en, GTIN, OCOP rating, producer)."""
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "numberOfItems": len(products),
        "itemListElement": [
            {"@type": "ListItem", "position": n, "item": _product_jsonld(p)}
            for n, p in enumerate(products, start=1)
        ],
    }


def _product_jsonld(p: FeedProduct) -> dict[str, Any]:
    names = [{"@language": "vi", "@value": p.name_vi}]
    if p.name_en:
        names.append({"@language": "en", "@value": p.name_en})
    product: dict[str, Any] = {
        "@type": "Product",
        "@id": p.digital_link,
        "url": p.digital_link,
        "gtin": p.gtin,
        "name": names,
        "category": p.group,
        "manufacturer": {
            "@type": "Organization",
            "identifier": p.producer_id,
            "name": p.producer_name,
            "address": {
                "@type": "PostalAddress",
                "addressRegion": p.province,
                "addressLocality": p.commune,
                "addressCountry": "VN",
            },
        },
        "hasCertification": {
            "@type": "Certification",
            "name": "OCOP",
            "certificationIdentification": p.decision_number,
            "issuedBy": {"@type": "Organization", "name": p.issuer},
            "validFrom": p.valid_from.isoformat(),
            "expires": p.valid_until.isoformat(),
            "certificationRating": {
                "@type": "Rating",
                "ratingValue": p.stars,
                "worstRating": 3,
                "bestRating": 5,
            },
        },
        "additionalProperty": {
            "@type": "PropertyValue",
            "propertyID": "ledgerIndex",
            "value": p.ledger_index,
        },
    }
    if p.description:
        product["description"] = p.description
    if p.photo_url:
        product["image"] = [u for u in (p.photo_url, p.photo_jpeg_url) if u]
    return product


def csv_rows(products: list[FeedProduct]) -> Iterator[str]:
    """CSV lines (RFC 4180), the first with a UTF-8 BOM so Excel reads Vietnamese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + _take(buffer)
    for p in products:
        writer.writerow(
            safe_cell(value)  # names are the producers' own text
            for value in (
                p.gtin,
                p.name_vi,
                p.name_en or "",
                p.group,
                p.stars if p.stars is not None else "",
                p.valid_from.isoformat(),
                p.valid_until.isoformat(),
                p.decision_number,
                p.issuer,
                p.producer_id,
                p.producer_name,
                p.province,
                p.commune or "",
                p.photo_url or "",
                p.photo_jpeg_url or "",
                p.digital_link,
                p.ledger_index,
            )
        )
        yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
