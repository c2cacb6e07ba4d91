"""Batches (lots) and serialised items, with optional scratch-off PINs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.batches.errors import (
    BatchExists,
    BatchInvalid,
    BatchNotFound,
    ForeignOrigin,
    ItemAlreadyClaimed,
)
from traceapp.batches.models import Batch, Item, ItemPinSalt
from traceapp.gs1.identifiers import validate_lot
from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.locations.errors import LocationNotFound
from traceapp.locations.models import Location
from traceapp.producers.models import Producer
from traceapp.producers.services import require_producer_actor
from traceapp.products.models import Product
from traceapp.products.services import get_product, producer_public_id

MAX_ITEMS_PER_STATEMENT = 1000
MAX_ITEMS_PER_REQUEST = 100_000
PIN_DIGITS = 8


@dataclass(frozen=True)
class BatchInput:
    product: str
    lot: str
    production_date: date | str
    expiry_date: date | str | None = None
    quantity: Decimal | str | None = None
    unit: str | None = None
    origin_location: str | None = None
    inputs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IssuedItems:
    receipt: Receipt
    # Serial -> PIN, shown once to be printed under the scratch-off; never stored.
    pins: dict[str, str]


def get_batch(session: Session, public_id: str, field: str = "batch") -> Batch:
    batch = session.execute(select(Batch).where(Batch.public_id == public_id)).scalar_one_or_none()
    if batch is None:
        raise BatchNotFound(f"no batch {public_id}", field=field)
    return batch


def batch_producer(session: Session, batch: Batch) -> str:
    product = session.get(Product, batch.product_id)
    assert product is not None
    return producer_public_id(session, product)


def plan_create_batch(
    session: Session, ledger: Ledger, request: WriteRequest, data: BatchInput
) -> list[Draft]:
    ids = request.ids(ledger)
    product = get_product(session, data.product)
    producer = producer_public_id(session, product)
    require_producer_actor(session, ledger, request.actor, producer)
    lot = v.gs1(validate_lot, data.lot, "lot")
    if session.execute(
        select(Batch.id).where(Batch.product_id == product.id, Batch.lot == lot)
    ).first():
        raise BatchExists(f"lot {lot} already exists for this product", field="lot")
    produced = v.iso_date(data.production_date, "productionDate")
    expiry = v.iso_date(data.expiry_date, "expiryDate") if data.expiry_date else None
    if expiry is not None and expiry < produced:
        raise BatchInvalid("must not be before productionDate", field="expiryDate")
    quantity = v.decimal(data.quantity, "quantity")
    unit = v.text(data.unit, "unit", max_length=20, required=False)
    if quantity is not None and unit is None:
        raise BatchInvalid("is required with a quantity", field="unit")
    origin = None
    if data.origin_location:
        location = session.execute(
            select(Location.public_id, Producer.public_id.label("producer"))
            .join(Producer, Location.producer_id == Producer.id)
            .where(Location.public_id == data.origin_location)
        ).first()
        if location is None:
            raise LocationNotFound(f"no location {data.origin_location}", field="originLocation")
        if location.producer != producer:
            # Where a batch was produced is one of its producer's own places, whoever signs.
            raise ForeignOrigin(
                f"must be a location of producer {producer}", field="originLocation"
            )
        origin = location.public_id
    # Inputs may be other producers' batches (raw materials bought in): the statement is the
    # batch producer's claim, and each input stays its own producer's (Batch.inputs shows it).
    inputs = sorted(set(data.inputs))
    for index, input_id in enumerate(inputs):
        get_batch(session, input_id, f"inputs.{index}")
    return [
        Draft(
            "batch.created",
            {
                "id": ids.public_id("bat"),
                "product": data.product,
                "lot": lot,
                "production_date": produced.isoformat(),
                "expiry_date": expiry.isoformat() if expiry else None,
                "quantity": None if quantity is None else str(quantity),
                "unit": unit,
                "origin": origin,
                "inputs": inputs,
            },
        )
    ]


def create_batch(
    session: Session,
    ledger: Ledger,
    actor: str,
    data: BatchInput,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, signature)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_create_batch(session, ledger, request, data),
        op={"op": "create_batch", **data.__dict__},
    )


def pin_digest(salt: bytes, pin: str) -> bytes:
    return hashlib.sha256(salt + pin.encode()).digest()


def _item_drafts(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    batch_id: str,
    count: int,
    with_pins: bool,
    pins: dict[str, str],
    salts: dict[str, bytes],
    over_quantity_reason: str | None = None,
) -> list[Draft]:
    """The statements, and in ``pins`` / ``salts`` what is kept off the ledger."""
    if request.client_signed and with_pins:
        # PINs are random and never derived, so prepare and submit would differ.
        raise BatchInvalid(
            "a client-signed request cannot issue PINs: issue them with the token's key",
            field="withPins",
        )
    if not 1 <= count <= MAX_ITEMS_PER_REQUEST:
        raise BatchInvalid(f"must be between 1 and {MAX_ITEMS_PER_REQUEST}", field="count")
    ids = request.ids(ledger)
    batch = get_batch(session, batch_id)
    require_producer_actor(session, ledger, request.actor, batch_producer(session, batch))
    reason = _over_quantity_reason(session, batch, count, over_quantity_reason)
    drafts = []
    for start in range(0, count, MAX_ITEMS_PER_STATEMENT):
        items = []
        for _ in range(start, min(count, start + MAX_ITEMS_PER_STATEMENT)):
            item_id = ids.public_id("itm")
            serial = ids.serial()
            digest = None
            if with_pins:
                # PINs are never derived: nobody but the label printer may learn them.
                pin = f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"
                salt = ids.salt()
                pins[serial], salts[item_id] = pin, salt
                digest = base64.b64encode(pin_digest(salt, pin)).decode()
            items.append({"id": item_id, "serial": serial, "pin": digest})
        statement: dict[str, object] = {"batch": batch_id, "items": items}
        if reason is not None:
            statement["over_quantity_reason"] = reason
        drafts.append(Draft("items.issued", statement))
    return drafts


def _over_quantity_reason(
    session: Session, batch: Batch, count: int, reason: str | None
) -> str | None:
    """The reason to record when the batch's items would outnumber its quantity, else None.

    More items than the batch holds cannot be right without a reason (a quantity in kilograms
    packed into many bags, a reprint): refused unless the producer gives one.
    """
    reason = v.text(reason, "overQuantityReason", max_length=200, required=False)
    if batch.quantity is None:
        return None
    issued = session.execute(
        select(func.count()).select_from(Item).where(Item.batch_id == batch.id)
    ).scalar_one()
    if issued + count <= batch.quantity:
        return None
    if reason is None:
        raise BatchInvalid(
            f"{issued} items issued already and {count} more exceed the batch quantity "
            f"{batch.quantity.normalize():f}: give overQuantityReason to issue them anyway",
            field="count",
            code="OVER_BATCH_QUANTITY",
            params={"issued": issued, "count": count, "quantity": batch.quantity},
        )
    return reason


def plan_issue_items(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    batch_id: str,
    count: int,
    *,
    with_pins: bool = False,
    over_quantity_reason: str | None = None,
) -> list[Draft]:
    return _item_drafts(
        session, ledger, request, batch_id, count, with_pins, {}, {}, over_quantity_reason
    )


def issue_items(
    session: Session,
    ledger: Ledger,
    actor: str,
    batch_id: str,
    count: int,
    *,
    with_pins: bool = False,
    over_quantity_reason: str | None = None,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> IssuedItems:
    """Issue ``count`` serialised items, at most 1,000 serials per ledger statement; more
    than the batch quantity only with ``over_quantity_reason``, recorded in the statements."""
    request = WriteRequest(actor, idempotency_key, signature)
    pins: dict[str, str] = {}
    salts: dict[str, bytes] = {}
    receipt = perform(
        session,
        ledger,
        request,
        lambda: _item_drafts(
            session, ledger, request, batch_id, count, with_pins, pins, salts, over_quantity_reason
        ),
        op={
            "op": "issue_items",
            "batch": batch_id,
            "count": count,
            "pins": with_pins,
            # Only when given: earlier requests' idempotency records stay comparable.
            **({"over_quantity_reason": over_quantity_reason} if over_quantity_reason else {}),
        },
        ids_of=lambda drafts: [i["id"] for d in drafts for i in d.statement["items"]],
    )
    for item_id, salt in salts.items():
        session.add(ItemPinSalt(item_public_id=item_id, salt=salt))
    return IssuedItems(receipt, pins)


def check_pin(session: Session, item: Item, pin: str) -> bool:
    """Constant-time comparison of a PIN against the item's ledgered digest."""
    if item.pin_digest is None:
        return False
    salt = session.get(ItemPinSalt, item.public_id)
    if salt is None:
        return False
    return hmac.compare_digest(pin_digest(salt.salt, pin.strip()), item.pin_digest)


def claim_item(session: Session, ledger: Ledger, service_actor: str, item: Item) -> Receipt:
    """Mark an item claimed by its buyer (after a correct PIN), signed by the service key."""
    if item.status == "claimed":
        raise ItemAlreadyClaimed("this item was already claimed", field="pin")
    return perform(
        session,
        ledger,
        WriteRequest(service_actor),
        lambda: [Draft("item.claimed", {"item": item.public_id})],
        op={"op": "claim_item", "item": item.public_id},
        ids_of=lambda drafts: [item.public_id],
    )
