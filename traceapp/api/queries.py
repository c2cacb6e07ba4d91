"""Read queries of the catalogue, batches, items, events and recalls."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import or_, select

from traceapp.api.context import context_of
from traceapp.api.errors import ApiError
from traceapp.api.ids import public_id_of
from traceapp.api.limits import DEFAULT_FIRST, MAX_FIRST
from traceapp.api.nodes import event_scope, item_scope, resolve_nodes
from traceapp.api.paging import paginate
from traceapp.api.types.batches import Batch, Item
from traceapp.api.types.catalog import Certification, Location, Producer, Product
from traceapp.api.types.common import Connection, Node
from traceapp.api.types.enums import (
    CertificationScheme,
    EventType,
    ItemStatus,
    LocationKind,
    ProducerKind,
    ProducerStatus,
    ProductGroup,
    ViewerRole,
)
from traceapp.api.types.events import Event, Recall
from traceapp.api.types.tokens import ApiToken
from traceapp.auth import models as auth
from traceapp.batches import models as batches
from traceapp.events import models as events
from traceapp.events.projections import short_cbv, stored_epc
from traceapp.i18n import vietnam_today
from traceapp.locations import models as locations
from traceapp.producers import models as producers
from traceapp.producers.search import producer_filter
from traceapp.products import models as products
from traceapp.products.expiry import MAX_EXPIRY_DAYS, expiring
from traceapp.products.search import certification_filter, product_filter
from traceapp.recalls import models as recalls

Info = strawberry.Info[Any, Any]


def _pk_select(model: type[Any], global_id: str, type_name: str, field: str) -> Any:
    """A subquery for the row behind a filter's global ID (no extra round trip)."""
    public_id = public_id_of(global_id, type_name, field)
    return select(model.id).where(model.public_id == public_id)


def _pk(model: type[Any], global_id: str, type_name: str, field: str) -> Any:
    return _pk_select(model, global_id, type_name, field).scalar_subquery()


def _api_tokens(info: Info, first: int, after: str | None) -> Connection[ApiToken]:
    """The caller's producer's tokens, oldest first."""
    producer = context_of(info).principal.producer
    stmt = select(auth.ApiToken).where(auth.ApiToken.producer_public_id == producer)
    return paginate(info, ApiToken, stmt, [auth.ApiToken.id], first, after)


@strawberry.type(description="Who is calling.")
class Viewer:
    role: ViewerRole
    key_name: str | None
    producer_id: strawberry.ID | None

    @strawberry.field(description="The caller's producer's API tokens (producer tokens only).")
    def api_tokens(
        self, info: Info, first: int = DEFAULT_FIRST, after: str | None = None
    ) -> Connection[ApiToken]:
        return _api_tokens(info, first, after)


@strawberry.type
class CatalogQueries:
    @strawberry.field(description="Any object by its global ID; null if unknown or not visible.")
    def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return resolve_nodes(info, [id])[0]

    @strawberry.field(description="Objects by global IDs (at most 100), in order; null entries.")
    def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_FIRST:
            raise ApiError(f"at most {MAX_FIRST} ids", "PAGE_LIMIT_EXCEEDED")
        return resolve_nodes(info, ids)

    @strawberry.field(description="The caller's role, signing key and producer.")
    def viewer(self, info: Info) -> Viewer:
        from traceapp.api.ids import encode_global_id

        principal = context_of(info).principal
        producer = principal.producer
        return Viewer(
            role=ViewerRole(principal.role),
            key_name=principal.key_name,
            producer_id=strawberry.ID(encode_global_id("Producer", producer)) if producer else None,
        )

    @strawberry.field(
        description="Producers, in registration order. `province`, `commune` and `name` "
        'accept Vietnamese with or without diacritics, in any case ("Quang Nam" and '
        '"quảng nam" both find "Quảng Nam"): province and commune match whole, `name` '
        "any part of the name."
    )
    def producers(
        self,
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        kind: ProducerKind | None = None,
        province: str | None = None,
        commune: str | None = None,
        name: str | None = None,
        status: ProducerStatus | None = None,
    ) -> Connection[Producer]:
        stmt = producer_filter(
            select(producers.Producer),
            kind=kind.value if kind else None,
            province=province,
            commune=commune,
            name=name,
            status=status.value if status else None,
        )
        return paginate(info, Producer, stmt, [producers.Producer.ledger_seq], first, after)

    @strawberry.field(
        description="Products, in registration order. `name` (any part of the Vietnamese "
        "name) and `province` (the producer's, whole) accept Vietnamese with or without "
        "diacritics, in any case, as `producers` does."
    )
    def products(
        self,
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        producer: strawberry.ID | None = None,
        group: ProductGroup | None = None,
        gtin: str | None = None,
        name: str | None = None,
        province: str | None = None,
    ) -> Connection[Product]:
        stmt = product_filter(select(products.Product), name=name, province=province)
        if producer is not None:
            pk = _pk(producers.Producer, producer, "Producer", "producer")
            stmt = stmt.where(products.Product.producer_id == pk)
        if group is not None:
            stmt = stmt.where(products.Product.group == group.value)
        if gtin is not None:
            stmt = stmt.where(products.Product.gtin == gtin.zfill(14))
        return paginate(info, Product, stmt, [products.Product.ledger_seq], first, after)

    @strawberry.field(
        description="Certifications, in the order they were granted. `productName` (any part "
        "of the product's Vietnamese name) and `province` (the producer's, whole) accept "
        "Vietnamese with or without diacritics, in any case."
    )
    def certifications(
        self,
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        product: strawberry.ID | None = None,
        scheme: CertificationScheme | None = None,
        stars: int | None = None,
        product_name: str | None = None,
        province: str | None = None,
        expires_within_days: Annotated[
            int | None,
            strawberry.argument(
                description="Only certificates in force that end within this many days from "
                "today in Vietnam (e.g. 30 or 90): not revoked, not expired yet."
            ),
        ] = None,
    ) -> Connection[Certification]:
        stmt = certification_filter(
            select(products.Certification), product_name=product_name, province=province
        )
        if product is not None:
            pk = _pk(products.Product, product, "Product", "product")
            stmt = stmt.where(products.Certification.product_id == pk)
        if scheme is not None:
            stmt = stmt.where(products.Certification.scheme == scheme.value)
        if stars is not None:
            if stars not in (3, 4, 5):
                raise ApiError("stars must be 3, 4 or 5", "BAD_USER_INPUT")
            stmt = stmt.where(products.Certification.stars == stars)
        if expires_within_days is not None:
            if not 0 <= expires_within_days <= MAX_EXPIRY_DAYS:
                raise ApiError(
                    f"expiresWithinDays must be 0 to {MAX_EXPIRY_DAYS}", "BAD_USER_INPUT"
                )
            stmt = expiring(stmt, vietnam_today(), expires_within_days)
        return paginate(
            info, Certification, stmt, [products.Certification.ledger_seq], first, after
        )

    @strawberry.field(description="Locations, in registration order.")
    def locations(
        self,
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        producer: strawberry.ID | None = None,
        kind: LocationKind | None = None,
    ) -> Connection[Location]:
        stmt = select(locations.Location)
        if producer is not None:
            pk = _pk(producers.Producer, producer, "Producer", "producer")
            stmt = stmt.where(locations.Location.producer_id == pk)
        if kind is not None:
            stmt = stmt.where(locations.Location.kind == kind.value)
        return paginate(info, Location, stmt, [locations.Location.ledger_seq], first, after)

    @strawberry.field(description="Batches, in creation order.")
    def batches(
        self,
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        product: strawberry.ID | None = None,
        lot: str | None = None,
    ) -> Connection[Batch]:
        stmt = select(batches.Batch)
        if product is not None:
            pk = _pk(products.Product, product, "Product", "product")
            stmt = stmt.where(batches.Batch.product_id == pk)
        if lot is not None:
            stmt = stmt.where(batches.Batch.lot == lot)
        return paginate(info, Batch, stmt, [batches.Batch.ledger_seq], first, after)

    @strawberry.field(description="Serialised items (staff; a producer sees its own).")
    def items(
        self,
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        batch: strawberry.ID | None = None,
        status: ItemStatus | None = None,
    ) -> Connection[Item]:
        stmt = item_scope(context_of(info), select(batches.Item))
        if batch is not None:
            pk = _pk(batches.Batch, batch, "Batch", "batch")
            stmt = stmt.where(batches.Item.batch_id == pk)
        if status is not None:
            stmt = stmt.where(batches.Item.status == status.value)
        keys = [batches.Item.issued_seq, batches.Item.public_id]
        return paginate(info, Item, stmt, keys, first, after)

    @strawberry.field(
        description="EPCIS events in ledger order (staff; a producer sees its own). "
        "`location` is a Location ID or a URI, matched against readPoint and bizLocation."
    )
    def events(
        self,
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        event_type: EventType | None = None,
        event_time_from: datetime | None = None,
        event_time_to: datetime | None = None,
        biz_step: str | None = None,
        disposition: str | None = None,
        location: str | None = None,
        epc: str | None = None,
        batch: strawberry.ID | None = None,
        product: strawberry.ID | None = None,
    ) -> Connection[Event]:
        stmt = event_scope(context_of(info), select(events.Event))
        if event_type is not None:
            stmt = stmt.where(events.Event.type == event_type.value)
        if event_time_from is not None:
            stmt = stmt.where(events.Event.event_time >= _aware(event_time_from, "eventTimeFrom"))
        if event_time_to is not None:
            stmt = stmt.where(events.Event.event_time < _aware(event_time_to, "eventTimeTo"))
        # Filters take any of CBV's three spellings, as stored (``short_cbv``).
        if biz_step is not None:
            stmt = stmt.where(events.Event.biz_step == short_cbv(biz_step))
        if disposition is not None:
            stmt = stmt.where(events.Event.disposition == short_cbv(disposition))
        if location is not None:
            uri = _location_uri(info, location)
            stmt = stmt.where(or_(events.Event.read_point == uri, events.Event.biz_location == uri))
        touching = select(events.EventEpc.event_seq)
        if epc is not None:
            stmt = stmt.where(
                events.Event.ledger_seq.in_(touching.where(events.EventEpc.epc == stored_epc(epc)))
            )
        if batch is not None:
            of_batch = _pk_select(batches.Batch, batch, "Batch", "batch")
            stmt = stmt.where(events.Event.ledger_seq.in_(_touching_batches(touching, of_batch)))
        if product is not None:
            pk = _pk(products.Product, product, "Product", "product")
            of_product = select(batches.Batch.id).where(batches.Batch.product_id == pk)
            stmt = stmt.where(events.Event.ledger_seq.in_(_touching_batches(touching, of_product)))
        return paginate(info, Event, stmt, [events.Event.ledger_seq], first, after)

    @strawberry.field(description="Recalls, newest last.")
    def recalls(
        self,
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        batch: strawberry.ID | None = None,
    ) -> Connection[Recall]:
        stmt = select(recalls.Recall)
        if batch is not None:
            pk = _pk(batches.Batch, batch, "Batch", "batch")
            stmt = stmt.where(
                recalls.Recall.id.in_(
                    select(recalls.RecallBatch.recall_id).where(recalls.RecallBatch.batch_id == pk)
                )
            )
        return paginate(info, Recall, stmt, [recalls.Recall.ledger_seq], first, after)


def _aware(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None:
        raise ApiError(f"{field} must include a time zone offset", "BAD_USER_INPUT")
    return moment


def _touching_batches(touching: Any, batch_ids: Any) -> Any:
    """Events naming a batch's EPC class or any of its items."""
    items_of = select(batches.Item.id).where(batches.Item.batch_id.in_(batch_ids))
    return touching.where(
        or_(
            events.EventEpc.batch_id.in_(batch_ids),
            events.EventEpc.item_id.in_(items_of),
        )
    )


def _location_uri(info: Info, value: str) -> str:
    if ":" in value:
        return value
    from traceapp.locations.services import location_uri

    public_id = public_id_of(value, "Location", "location")
    row = (
        context_of(info)
        .session.execute(
            select(locations.Location).where(locations.Location.public_id == public_id)
        )
        .scalar_one_or_none()
    )
    if row is None:
        raise ApiError("no such location", "NOT_FOUND")
    return location_uri(row)
