"""A producer's places (farms, workshops, shops) and batches: lists, creation, a batch's page.

Writes go through ``plan_register_location``, ``plan_update_location`` and ``plan_create_batch``,
as ``registerLocation``, ``updateLocation`` and ``createBatch`` do. Open batches (not expired, not
recalled) come first in the list.
"""

from __future__ import annotations

from flask import redirect, request, url_for
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from werkzeug.wrappers import Response as BaseResponse

from traceapp.batches.models import Batch, Item
from traceapp.batches.services import BatchInput, plan_create_batch
from traceapp.console.core import bp, not_found, render, signed_in
from traceapp.console.forms import field_errors, form_key, member_write, new_key, producer_of_member
from traceapp.db.sessions import get_session
from traceapp.errors import DomainError
from traceapp.events.models import Event, EventEpc
from traceapp.i18n import vietnam_today
from traceapp.locations.models import LOCATION_KINDS, Location
from traceapp.locations.services import (
    LocationChanges,
    LocationInput,
    plan_register_location,
    plan_update_location,
    producer_locations,
)
from traceapp.producers.models import Producer
from traceapp.producers.services import get_producer
from traceapp.products.models import Product
from traceapp.recalls.models import RecallBatch

Page = tuple[str, int] | BaseResponse
PLACE_FIELDS = (
    "code",
    "name",
    "kind",
    "gln",
    "province",
    "commune",
    "street",
    "latitude",
    "longitude",
)
BATCH_FIELDS = (
    "product",
    "lot",
    "quantity",
    "unit",
    "productionDate",
    "expiryDate",
    "originLocation",
)


def _places(producer: str) -> list[Location]:
    session = get_session()
    return producer_locations(session, get_producer(session, producer).id)


@bp.route("/places")
@signed_in
def places() -> Page:
    producer = producer_of_member()
    if producer is None:
        return not_found()
    return render("console/places.html", places=_places(producer))


def _place_form(
    values: dict[str, str], errors: dict[str, str], status: int, place: Location | None = None
) -> Page:
    values = {name: values.get(name, "") for name in (*PLACE_FIELDS, "key")}
    values["kind"] = values["kind"] or "farm"
    values["key"] = values["key"] or new_key()
    return render(
        "console/place_form.html",
        status,
        values=values,
        errors=errors,
        kinds=LOCATION_KINDS,
        place=place,
    )


def _degrees(text: str) -> str | None:
    return text.strip().replace(",", ".") or None


@bp.route("/places/new", methods=["GET", "POST"])
@signed_in
def place_new() -> Page:
    producer = producer_of_member()
    if producer is None:
        return not_found()
    if request.method == "GET":
        return _place_form({}, {}, 200)
    sent = {name: request.form.get(name, "") for name in (*PLACE_FIELDS, "key")}
    data = LocationInput(
        producer=producer,
        code=sent["code"],
        name=sent["name"],
        kind=sent["kind"],
        gln=sent["gln"].strip() or None,
        province=sent["province"] or None,
        commune=sent["commune"] or None,
        street=sent["street"] or None,
        latitude=_degrees(sent["latitude"]),
        longitude=_degrees(sent["longitude"]),
    )
    try:
        member_write(
            lambda s, ledger, w: plan_register_location(s, ledger, w, data),
            {"op": "register_location", **data.__dict__},
            form_key(),
        )
    except DomainError as exc:
        return _place_form(sent, field_errors(exc, PLACE_FIELDS), 422)
    return redirect(url_for("console.places"), 303)


def own_place(producer: str, public_id: str) -> Location | None:
    """The producer's place, else None (someone else's is as absent as none)."""
    found: Location | None = (
        get_session()
        .execute(
            select(Location)
            .join(Producer, Producer.id == Location.producer_id)
            .where(Location.public_id == public_id[:40], Producer.public_id == producer)
        )
        .scalar_one_or_none()
    )
    return found


@bp.route("/places/<public_id>/edit", methods=["GET", "POST"])
@signed_in
def place_edit(public_id: str) -> Page:
    producer = producer_of_member()
    place = own_place(producer, public_id) if producer is not None else None
    if place is None:
        return not_found()
    if request.method == "GET":
        current = {
            "name": place.name,
            "kind": place.kind,
            "province": place.province or "",
            "commune": place.commune or "",
            "street": place.street or "",
            "latitude": "" if place.latitude is None else f"{place.latitude:f}",
            "longitude": "" if place.longitude is None else f"{place.longitude:f}",
        }
        return _place_form(current, {}, 200, place)
    sent = {name: request.form.get(name, "") for name in (*PLACE_FIELDS, "key")}
    sent["code"], sent["gln"] = place.code, place.gln or ""  # identifiers never change
    latitude, longitude = _degrees(sent["latitude"]), _degrees(sent["longitude"])
    # The form states the place whole: the service keeps only what differs.
    changes = LocationChanges(
        name=sent["name"],
        kind=sent["kind"],
        province=sent["province"],
        commune=sent["commune"],
        street=sent["street"],
        latitude=latitude,
        longitude=longitude,
        clear_position=latitude is None and longitude is None,
    )
    location_id = place.public_id
    try:
        member_write(
            lambda s, ledger, w: plan_update_location(s, ledger, w, location_id, changes),
            {"op": "update_location", "id": location_id, **changes.__dict__},
            form_key(),
        )
    except DomainError as exc:
        return _place_form(sent, field_errors(exc, PLACE_FIELDS), 422, place)
    return redirect(url_for("console.places"), 303)


def _products(producer: str) -> list[Product]:
    return list(
        get_session()
        .execute(
            select(Product)
            .join(Producer, Producer.id == Product.producer_id)
            .where(Producer.public_id == producer)
            .order_by(Product.name_vi)
        )
        .scalars()
    )


def _open_flag() -> ColumnElement[int]:
    """1 for a batch still on sale (not expired, not recalled), else 0."""
    today = vietnam_today()
    live = and_(
        or_(Batch.expiry_date.is_(None), Batch.expiry_date >= today),
        Batch.id.not_in(select(RecallBatch.batch_id)),
    )
    return case((live, 1), else_=0)


@bp.route("/batches")
@signed_in
def batches() -> Page:
    producer = producer_of_member()
    if producer is None:
        return not_found()
    is_open = _open_flag().label("is_open")
    rows = (
        get_session()
        .execute(
            select(Batch, Product.name_vi, Product.name_en, is_open)
            .join(Product, Product.id == Batch.product_id)
            .join(Producer, Producer.id == Product.producer_id)
            .where(Producer.public_id == producer)
            .order_by(is_open.desc(), Batch.production_date.desc(), Batch.id.desc())
            .limit(200)
        )
        .all()
    )
    return render("console/batches.html", rows=rows)


def _batch_form(producer: str, values: dict[str, str], errors: dict[str, str], status: int) -> Page:
    values = {name: values.get(name, "") for name in (*BATCH_FIELDS, "key")}
    values["key"] = values["key"] or new_key()
    return render(
        "console/batch_form.html",
        status,
        values=values,
        errors=errors,
        products=_products(producer),
        places=_places(producer),
    )


@bp.route("/batches/new", methods=["GET", "POST"])
@signed_in
def batch_new() -> Page:
    producer = producer_of_member()
    if producer is None:
        return not_found()
    if request.method == "GET":
        chosen = request.args.get("product", "")[:40]
        return _batch_form(producer, {"product": chosen}, {}, 200)
    sent = {name: request.form.get(name, "") for name in (*BATCH_FIELDS, "key")}
    data = BatchInput(
        product=sent["product"],
        lot=sent["lot"].strip(),
        production_date=sent["productionDate"],
        expiry_date=sent["expiryDate"] or None,
        quantity=sent["quantity"].strip().replace(",", ".") or None,
        unit=sent["unit"] or None,
        origin_location=sent["originLocation"] or None,
    )
    try:
        receipt = member_write(
            lambda s, ledger, w: plan_create_batch(s, ledger, w, data),
            {"op": "create_batch", **data.__dict__},
            form_key(),
        )
    except DomainError as exc:
        return _batch_form(producer, sent, field_errors(exc, BATCH_FIELDS), 422)
    return redirect(url_for("console.batch", public_id=receipt.public_ids[0]), 303)


@bp.route("/batches/<public_id>")
@signed_in
def batch(public_id: str) -> Page:
    producer = producer_of_member()
    if producer is None:
        return not_found()
    session = get_session()
    row = session.execute(
        select(Batch, Product)
        .join(Product, Product.id == Batch.product_id)
        .join(Producer, Producer.id == Product.producer_id)
        .where(Batch.public_id == public_id[:40], Producer.public_id == producer)
    ).first()
    if row is None:
        return not_found()
    found, product = row
    origin = session.get(Location, found.origin_location_id) if found.origin_location_id else None
    statuses = session.execute(
        select(Item.status, func.count()).where(Item.batch_id == found.id).group_by(Item.status)
    ).all()
    items = select(Item.id).where(Item.batch_id == found.id)
    events = (
        session.execute(
            select(Event)
            .where(
                Event.ledger_seq.in_(
                    select(EventEpc.event_seq).where(
                        or_(EventEpc.batch_id == found.id, EventEpc.item_id.in_(items))
                    )
                )
            )
            .order_by(Event.event_time.desc())
            .limit(50)
        )
        .scalars()
        .all()
    )
    recalled = session.execute(
        select(func.count()).select_from(RecallBatch).where(RecallBatch.batch_id == found.id)
    ).scalar_one()
    return render(
        "console/batch.html",
        batch=found,
        product=product,
        origin=origin,
        statuses=statuses,
        issued=sum(n for _, n in statuses),
        events=events,
        recalled=bool(recalled),
    )
