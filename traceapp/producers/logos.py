"""A producer's logo: the ``producer.logo_set`` statement that puts its SHA-256 on the ledger.

Same shape as a product photo (``traceapp.products.photos``): the door stores the renditions,
this records them, signed by the producer's own key or the programme office's.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.media.images import StoredPhoto
from traceapp.producers.services import get_producer, require_producer_actor


def may_set_producer_logo(session: Session, ledger: Ledger, actor: str, producer_id: str) -> None:
    """Refuse early (before an upload is processed and stored) an actor who may not set it."""
    get_producer(session, producer_id)
    require_producer_actor(session, ledger, actor, producer_id)


def plan_set_producer_logo(
    session: Session, ledger: Ledger, request: WriteRequest, producer_id: str, logo: StoredPhoto
) -> list[Draft]:
    may_set_producer_logo(session, ledger, request.actor, producer_id)
    return [Draft("producer.logo_set", {"id": producer_id, "logo": logo.statement()})]


def set_producer_logo(
    session: Session,
    ledger: Ledger,
    actor: str,
    producer_id: str,
    logo: StoredPhoto,
    *,
    idempotency_key: str | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, None)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_set_producer_logo(session, ledger, request, producer_id, logo),
        op={"op": "set_producer_logo", "id": producer_id, "logo": logo.statement()},
    )
