"""Issuing a batch's items and printing their stamps in one step.

The PDF is the POST's response: the PINs exist only in the request that drew them and in that
file (the ledger holds salted digests, the salts stay off it). A replayed request (the same
form sent twice) issues nothing more and, having no PINs, refuses to hand out a second file.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from flask import make_response, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from traceapp.accounts.models import PRODUCER_ROLES, Account
from traceapp.accounts.services import member_write_request
from traceapp.batches.models import Batch, Item
from traceapp.batches.services import MAX_ITEMS_PER_REQUEST, issue_items_as
from traceapp.config import get_settings
from traceapp.console.core import bp, current, error_text, not_found, render, signed_in, t
from traceapp.db.sessions import get_database, get_session
from traceapp.errors import DomainError
from traceapp.i18n import vietnam_today
from traceapp.labels.sheet import render_label_sheet
from traceapp.labels.stamps import batch_labels
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.errors import IdempotencyConflict
from traceapp.ledger_store.service import WriteRequest
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.models import Producer
from traceapp.products.models import Product

Page = tuple[str, int] | BaseResponse
T = TypeVar("T")


@dataclass(frozen=True)
class OwnBatch:
    batch: Batch
    product: Product
    producer_id: int


def own_batch(public_id: str) -> OwnBatch | None:
    """The batch if the signed-in member works for its producer; else None (a 404, the same
    for another producer's batch as for none)."""
    me = current()
    if me.role not in PRODUCER_ROLES or not me.producer_public_id:
        return None
    row = (
        get_session()
        .execute(
            select(Batch, Product, Producer.id)
            .join(Product, Batch.product_id == Product.id)
            .join(Producer, Product.producer_id == Producer.id)
            .where(Batch.public_id == public_id[:40], Producer.public_id == me.producer_public_id)
        )
        .first()
    )
    return None if row is None else OwnBatch(row[0], row[1], row[2])


def new_key() -> str:
    """The idempotency key a form carries from the moment it is drawn: sent twice, it acts once."""
    return secrets.token_urlsafe(18)


def form_key() -> str:
    sent = request.form.get("idempotency_key", "")
    return sent if 16 <= len(sent) <= 64 else new_key()


def fresh_key(exc: DomainError, kept: Mapping[str, object]) -> dict[str, object]:
    """What a refused form keeps: its values, and its key unless the key is spent (a form
    sent again after its request was done, with other values): the next try gets a new one."""
    if isinstance(exc, IdempotencyConflict):
        return {k: v for k, v in kept.items() if k != "key"}
    return dict(kept)


def member_write(key: str, action: Callable[[Session, Ledger, WriteRequest], T]) -> T:
    """One console write: signed by the producer's key, naming the member, in one transaction.
    A DomainError leaves nothing written (and the read session sees a clean state)."""
    try:
        with get_database().write() as session:
            account = session.get(Account, current().id)
            assert account is not None
            return action(session, get_ledger(), member_write_request(session, account, key))
    finally:
        get_session().rollback()


def issued_count(batch: Batch) -> int:
    return int(
        get_session()
        .execute(select(func.count()).select_from(Item).where(Item.batch_id == batch.id))
        .scalar_one()
    )


def _shown(value: object) -> object:
    return f"{value.normalize():f}" if isinstance(value, Decimal) else value


def _issue_form(own: OwnBatch, status: int = 200, **context: object) -> tuple[str, int]:
    return render(
        "console/issue.html",
        status,
        own=own,
        issued=issued_count(own.batch),
        key=context.pop("key", None) or new_key(),
        count=context.pop("count", ""),
        pins=context.pop("pins", True),
        over_reason=context.pop("over_reason", ""),
        max_count=MAX_ITEMS_PER_REQUEST,
        **context,
    )


@bp.route("/batches/<public_id>/items/new", methods=["GET", "POST"])
@signed_in
def issue_stamps(public_id: str) -> Page:
    own = own_batch(public_id)
    if own is None:
        return not_found()
    if request.method == "GET":
        return _issue_form(own)
    key = form_key()
    pins = request.form.get("pins") == "1"
    raw = request.form.get("count", "").strip()
    reason = request.form.get("over_reason", "").strip() or None
    kept = {"key": key, "count": raw, "pins": pins, "over_reason": reason or ""}
    count = int(raw) if raw.isdigit() and len(raw) <= 7 else 0
    if not 1 <= count <= MAX_ITEMS_PER_REQUEST:
        return _issue_form(own, 422, error=t("issue_count_bad", max=MAX_ITEMS_PER_REQUEST), **kept)
    batch_id = own.batch.public_id
    try:
        result = member_write(
            key,
            lambda s, ledger, req: issue_items_as(
                s, ledger, req, batch_id, count, with_pins=pins, over_quantity_reason=reason
            ),
        )
    except DomainError as exc:
        shown = {k: _shown(v) for k, v in exc.params.items()}
        return _issue_form(own, 422, error=error_text(exc, **shown), **fresh_key(exc, kept))
    if result.receipt.replayed:
        said = "issue_replayed" if pins else "issue_replayed_plain"
        return render("console/message.html", 409, title="issue_title", detail=t(said))
    serials = list(
        get_session()
        .execute(
            select(Item.serial)
            .where(Item.public_id.in_(result.receipt.public_ids))
            .order_by(Item.id)
        )
        .scalars()
    )
    today = vietnam_today()
    labels = batch_labels(
        get_session(),
        own.batch,
        get_settings().public_url,
        today,
        serials,
        pins=result.pins,
        hint=t("scan_hint"),
    )
    response = make_response(render_label_sheet(labels))
    response.headers["Content-Type"] = "application/pdf"
    name = f"tem-{own.batch.public_id}-{result.receipt.ledger_index}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
