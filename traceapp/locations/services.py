"""Locations where things happen: farms, facilities, warehouses, shops."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.errors import ValidationFailed
from traceapp.gs1.identifiers import normalise_gln
from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.locations.errors import LocationExists
from traceapp.locations.models import LOCATION_KINDS, Location
from traceapp.producers.services import get_producer, require_producer_actor

GLN_URI = "https://id.gs1.org/414/{gln}"
LOCATION_URN = "urn:ocop:location:{id}"


@dataclass(frozen=True)
class LocationInput:
    producer: str
    code: str
    name: str
    kind: str
    gln: str | None = None
    province: str | None = None
    commune: str | None = None
    street: str | None = None
    latitude: Decimal | str | None = None
    longitude: Decimal | str | None = None


GEO_PLACES = Decimal("0.000001")


def _degrees(value: Decimal | str | None, field: str, limit: int) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        degrees = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed("must be a number of degrees", field=field) from None
    if not degrees.is_finite() or not -limit <= degrees <= limit:
        raise ValidationFailed(f"must be between -{limit} and {limit} degrees", field=field)
    return degrees.quantize(GEO_PLACES, rounding=ROUND_HALF_EVEN)


def geo_of(data: LocationInput) -> dict[str, str] | None:
    """WGS 84 latitude and longitude, both or neither, as 6-decimal strings (about 0.1 m)."""
    lat = _degrees(data.latitude, "latitude", 90)
    lon = _degrees(data.longitude, "longitude", 180)
    if (lat is None) != (lon is None):
        missing = "longitude" if lon is None else "latitude"
        raise ValidationFailed("is required with the other coordinate", field=missing)
    if lat is None or lon is None:
        return None
    return {"lat": f"{lat:f}", "lon": f"{lon:f}"}


class _LocationKeys(Protocol):
    @property
    def public_id(self) -> str: ...
    @property
    def gln(self) -> str | None: ...


def producer_locations(session: Session, producer_id: int) -> list[Location]:
    """A producer's places (farms, workshops, shops), by name."""
    rows = session.execute(
        select(Location).where(Location.producer_id == producer_id).order_by(Location.name)
    )
    return list(rows.scalars())


def location_uri(location: _LocationKeys) -> str:
    """The EPCIS readPoint/bizLocation URI: the GLN's Digital Link, else our URN."""
    if location.gln:
        return GLN_URI.format(gln=location.gln)
    return LOCATION_URN.format(id=location.public_id)


def plan_register_location(
    session: Session, ledger: Ledger, request: WriteRequest, data: LocationInput
) -> list[Draft]:
    ids = request.ids(ledger)
    producer = get_producer(session, data.producer)
    require_producer_actor(session, ledger, request.actor, data.producer)
    code = v.required_text(data.code, "code", max_length=40)
    if session.execute(
        select(Location.id).where(Location.producer_id == producer.id, Location.code == code)
    ).first():
        raise LocationExists("this producer already has a location with this code", field="code")
    gln = None if not data.gln else v.gs1(normalise_gln, data.gln, "gln")
    if gln and session.execute(select(Location.id).where(Location.gln == gln)).first():
        raise LocationExists("a location with this GLN exists", field="gln")
    geo = geo_of(data)
    return [
        Draft(
            "location.registered",
            {
                **({"geo": geo} if geo else {}),
                "id": ids.public_id("loc"),
                "producer": data.producer,
                "gln": gln,
                "code": code,
                "name": v.required_text(data.name, "name", max_length=300),
                "kind": v.choice(data.kind, "kind", LOCATION_KINDS),
                "address": {
                    "province": v.text(data.province, "province", max_length=100, required=False),
                    "commune": v.text(data.commune, "commune", max_length=100, required=False),
                    "street": v.text(data.street, "street", max_length=300, required=False),
                },
            },
        )
    ]


def register_location(
    session: Session,
    ledger: Ledger,
    actor: str,
    data: LocationInput,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, signature)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_register_location(session, ledger, request, data),
        op={"op": "register_location", **data.__dict__},
    )
