"""Master data as GS1 Web Vocabulary JSON-LD: producers (gs1:Organization), places
(gs1:Place) and products (gs1:Product), each identified by the URI the events use for it.

Only public fields: what the item pages already show. A place is named by its EPCIS location
URI (the GLN's Digital Link, else our URN), a product by its GS1 Digital Link, a producer by its
GLN's Digital Link when it has one, else by our URN ``urn:ocop:producer:<id>``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.gs1.digital_link import DigitalLink, format_uri
from traceapp.locations.models import Location
from traceapp.locations.services import location_uri
from traceapp.producers.models import Producer
from traceapp.products.models import Product

GS1_CONTEXT = {"gs1": "https://ref.gs1.org/voc/"}
GLN_LINK = "https://id.gs1.org/414/{gln}"
PRODUCER_URN = "urn:ocop:producer:{id}"


def producer_uri(producer: Producer) -> str:
    return (
        GLN_LINK.format(gln=producer.gln)
        if producer.gln
        else PRODUCER_URN.format(id=producer.public_id)
    )


def _address(province: str | None, commune: str | None, street: str | None) -> dict[str, Any]:
    address: dict[str, Any] = {"@type": "gs1:PostalAddress", "gs1:countryCode": "VN"}
    for key, value in (
        ("gs1:addressRegion", province),
        ("gs1:addressLocality", commune),
        ("gs1:streetAddress", street),
    ):
        if value:
            address[key] = value
    return address


def master_data(session: Session, base_url: str, producer: str | None = None) -> dict[str, Any]:
    """One JSON-LD document: ``@graph`` of organizations, places and products."""
    producers = select(Producer).order_by(Producer.id)
    if producer is not None:
        producers = producers.where(Producer.public_id == producer)
    rows = list(session.scalars(producers))
    by_id = {p.id: p for p in rows}  # a product names its producer
    graph: list[dict[str, Any]] = []
    for p in rows:
        organization: dict[str, Any] = {
            "@id": producer_uri(p),
            "@type": "gs1:Organization",
            "gs1:organizationName": p.name,
            "gs1:address": _address(p.province, p.commune, p.street),
        }
        if p.gln:
            organization["gs1:globalLocationNumber"] = p.gln
        graph.append(organization)
    ids = list(by_id)
    for location in session.scalars(
        select(Location).where(Location.producer_id.in_(ids)).order_by(Location.id)
    ):
        place: dict[str, Any] = {
            "@id": location_uri(location),
            "@type": "gs1:Place",
            "gs1:physicalLocationName": location.name,
            "gs1:address": _address(location.province, location.commune, location.street),
        }
        if location.gln:
            place["gs1:globalLocationNumber"] = location.gln
        if location.latitude is not None and location.longitude is not None:
            place["gs1:geo"] = {
                "@type": "gs1:GeoCoordinates",
                "gs1:latitude": float(location.latitude),
                "gs1:longitude": float(location.longitude),
            }
        graph.append(place)
    for product in session.scalars(
        select(Product).where(Product.producer_id.in_(ids)).order_by(Product.id)
    ):
        owner = by_id[product.producer_id]
        names = [{"@value": product.name_vi, "@language": "vi"}]
        if product.name_en:
            names.append({"@value": product.name_en, "@language": "en"})
        item: dict[str, Any] = {
            "@id": format_uri(base_url, DigitalLink(product.gtin)),
            "@type": "gs1:Product",
            "gs1:gtin": product.gtin,
            "gs1:productName": names,
            "gs1:brand": {"@type": "gs1:Brand", "gs1:brandName": owner.name},
            "gs1:manufacturer": {"@id": producer_uri(owner)},
        }
        if product.description:
            item["gs1:productDescription"] = {"@value": product.description, "@language": "vi"}
        graph.append(item)
    return {"@context": GS1_CONTEXT, "@graph": graph}
