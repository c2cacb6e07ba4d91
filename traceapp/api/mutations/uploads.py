"""Photo and logo uploads (GraphQL multipart request spec): who may, then the file, then the entry.

The caller's right to set the photo is checked first, in a read session, so a refused caller
costs no image decoding and stores nothing. The upload is then checked, re-encoded and stored
outside any transaction (decoding takes tens of milliseconds: no write lock is held meanwhile),
and last the statement naming its SHA-256 is appended. A failure between the two leaves only
unreferenced content-addressed files, never an entry naming a missing photo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from strawberry.types import Info

from traceapp import validation as v
from traceapp.api.context import context_of
from traceapp.api.ids import public_id_of
from traceapp.api.mutations import inputs as i
from traceapp.api.mutations.runner import Outcome, resolve_actor, user_errors
from traceapp.config import get_settings
from traceapp.errors import DomainError
from traceapp.ledger_store.writer import Ledger
from traceapp.media.errors import NotAnImage
from traceapp.media.images import StoredPhoto, read_upload, store_photo
from traceapp.media.store import open_store
from traceapp.producers.logos import may_set_producer_logo, set_producer_logo
from traceapp.products.photos import may_set_product_photo, set_product_photo

Check = Callable[[Session, Ledger, str], None]
Record = Callable[[Session, Ledger, str, StoredPhoto], Any]


def _upload_bytes(file: Any) -> bytes:
    if not hasattr(file, "read"):
        raise NotAnImage("must be a file sent as a GraphQL multipart request", field="file")
    return read_upload(file, field="file")


def run_upload(
    info: Info[Any, Any], file: Any, key: str | None, check: Check, record: Record
) -> Outcome:
    context = context_of(info)
    try:
        v.idempotency_key(key)
        with context.database.read_sessions() as session:
            try:
                check(session, context.ledger, resolve_actor(session, context.principal, None))
            finally:
                session.rollback()
        store = open_store(get_settings(context.app))
        stored = store_photo(store, _upload_bytes(file), field="file")
        with context.database.write() as session:
            actor = resolve_actor(session, context.principal, None)
            result = record(session, context.ledger, actor, stored)
    except DomainError as exc:
        return Outcome(errors=user_errors(exc))
    # As in run_write: the payload must read what was just committed.
    context.session.rollback()
    return Outcome(result=result, errors=[])


def upload_product_photo(info: Info[Any, Any], data: i.UploadProductPhotoInput) -> Outcome:
    try:
        product = public_id_of(data.product, "Product", "product")
    except DomainError as exc:
        return Outcome(errors=user_errors(exc))
    return run_upload(
        info,
        data.file,
        data.idempotency_key,
        lambda s, ledger, actor: may_set_product_photo(s, ledger, actor, product),
        lambda s, ledger, actor, photo: set_product_photo(
            s, ledger, actor, product, photo, idempotency_key=data.idempotency_key
        ),
    )


def upload_producer_logo(info: Info[Any, Any], data: i.UploadProducerLogoInput) -> Outcome:
    try:
        producer = public_id_of(data.producer, "Producer", "producer")
    except DomainError as exc:
        return Outcome(errors=user_errors(exc))
    return run_upload(
        info,
        data.file,
        data.idempotency_key,
        lambda s, ledger, actor: may_set_producer_logo(s, ledger, actor, producer),
        lambda s, ledger, actor, logo: set_producer_logo(
            s, ledger, actor, producer, logo, idempotency_key=data.idempotency_key
        ),
    )
