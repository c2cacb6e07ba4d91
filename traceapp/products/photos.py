"""A product's photo: the ``product.photo_set`` statement that puts its SHA-256 on the ledger.

The door checks, processes and stores the upload (``traceapp.media``); this records which
renditions are the product's photo, signed by the product's producer (or the programme office)
like any other change of the product, so a page can prove the photo it shows.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.media.images import StoredPhoto
from traceapp.producers.services import require_producer_actor
from traceapp.products.services import get_product, producer_public_id


def plan_set_product_photo(
    session: Session, ledger: Ledger, request: WriteRequest, product_id: str, photo: StoredPhoto
) -> list[Draft]:
    may_set_product_photo(session, ledger, request.actor, product_id)
    return [Draft("product.photo_set", {"id": product_id, "photo": photo.statement()})]


def set_product_photo(
    session: Session,
    ledger: Ledger,
    actor: str,
    product_id: str,
    photo: StoredPhoto,
    *,
    idempotency_key: str | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, None)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_set_product_photo(session, ledger, request, product_id, photo),
        op={"op": "set_product_photo", "id": product_id, "photo": photo.statement()},
    )


def may_set_product_photo(session: Session, ledger: Ledger, actor: str, product_id: str) -> None:
    """Refuse early (before an upload is processed and stored) an actor who may not set it."""
    product = get_product(session, product_id)
    require_producer_actor(session, ledger, actor, producer_public_id(session, product))
