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
from traceapp.locations.errors import LocationExists, LocationInvalid, LocationNotFound
from traceapp.locations.models import LOCATION_KINDS, Location
from traceapp.producers.models import Producer
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


@dataclass(frozen=True)
class LocationChanges:
    """What ``location.updated`` may change; None keeps the value. The code and the GLN are
    the place's identifiers (events name it by them) and never change.

    An address is stated whole: a part not given keeps its value, "" clears it. A position is
    given as both coordinates, or removed with ``clear_position``."""

    name: str | None = None
    kind: str | None = None
    province: str | None = None
    commune: str | None = None
    street: str | None = None
    latitude: Decimal | str | None = None
    longitude: Decimal | str | None = None
    clear_position: bool = False


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


def geo_of(data: LocationInput | LocationChanges) -> dict[str, str] | None:
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


def get_location(session: Session, public_id: str) -> Location:
    found = session.execute(
        select(Location).where(Location.public_id == public_id)
    ).scalar_one_or_none()
    if found is None:
        raise LocationNotFound(f"no location {public_id}", field="location")
    return found


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


def _geo_of_row(row: Location) -> dict[str, str] | None:
    if row.latitude is None or row.longitude is None:
        return None
    return {"lat": f"{row.latitude:f}", "lon": f"{row.longitude:f}"}


def plan_update_location(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    location_id: str,
    changes: LocationChanges,
) -> list[Draft]:
    """A ``location.updated`` naming only what differs from the place as it stands."""
    row = get_location(session, location_id)
    producer = session.execute(
        select(Producer.public_id).where(Producer.id == row.producer_id)
    ).scalar_one()
    require_producer_actor(session, ledger, request.actor, producer)
    out: dict[str, object] = {}
    if changes.name is not None:
        name = v.required_text(changes.name, "name", max_length=300)
        if name != row.name:
            out["name"] = name
    if changes.kind is not None:
        kind = v.choice(changes.kind, "kind", LOCATION_KINDS)
        if kind != row.kind:
            out["kind"] = kind
    parts = {"province": changes.province, "commune": changes.commune, "street": changes.street}
    if any(value is not None for value in parts.values()):
        limits = {"province": 100, "commune": 100, "street": 300}
        current = {"province": row.province, "commune": row.commune, "street": row.street}
        address = {
            key: current[key]
            if value is None
            else v.text(value, key, max_length=limits[key], required=False)
            for key, value in parts.items()
        }
        if address != current:
            out["address"] = address
    if changes.clear_position:
        if changes.latitude is not None or changes.longitude is not None:
            raise LocationInvalid("give a position or remove it, not both", field="latitude")
        if row.latitude is not None:
            out["geo"] = None
    elif changes.latitude is not None or changes.longitude is not None:
        geo = geo_of(changes)
        if geo != _geo_of_row(row):
            out["geo"] = geo
    if not out:
        raise LocationInvalid("nothing to change", field="changes")
    return [Draft("location.updated", {"id": location_id, "changes": out})]


def update_location(
    session: Session,
    ledger: Ledger,
    actor: str,
    location_id: str,
    changes: LocationChanges,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, signature)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_update_location(session, ledger, request, location_id, changes),
        op={"op": "update_location", "id": location_id, **changes.__dict__},
    )
