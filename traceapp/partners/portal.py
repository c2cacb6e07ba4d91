"""The national traceability portal profile, version 1: JSON Lines, one record a line.

The first line is a ``header`` (profile, version, the checkpoint the export was read at); then
``product``, ``batch``, ``item`` and ``event`` records, each with the ledger index of the entry
that made it (``docs/portal.md`` maps the fields to Circular 02/2024/TT-BKHCN and TCVN 12850;
``schemas/portal-v1.schema.json`` is their JSON schema). Rows are read in pages, so an export of
a million items holds one page in memory. ``after`` exports only what changed after that ledger
index: a connector syncs incrementally from the last header's checkpoint size.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from traceapp.batches.models import Batch, BatchInput, Item
from traceapp.events.models import Event, EventEpc
from traceapp.events.vocabulary import web_uri
from traceapp.gs1.digital_link import DigitalLink, format_uri
from traceapp.i18n import vietnam_today
from traceapp.ledger_store.reads import latest_checkpoint_head
from traceapp.locations.models import Location
from traceapp.locations.services import location_uri
from traceapp.media.images import WEBP, media_path
from traceapp.partners.errors import InvalidFilter
from traceapp.producers.models import Producer
from traceapp.products.models import Certification, Product

PROFILE = "https://ocop.gov.vn/traceability/portal-profile"  # a name, not a fetched address
VERSION = "1.0"
PAGE = 1000
Record = dict[str, Any]


@dataclass(frozen=True, order=True)
class Position:
    """Where an export stopped: a section (products, batches, items, events) and the last key
    read in it. The REST door pages with it; the records after it are the same in any session."""

    section: int
    key: int

    def token(self) -> str:
        text = f"{self.section}.{self.key}".encode()
        return base64.urlsafe_b64encode(text).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str) -> Position:
        try:
            padded = token.encode() + b"=" * (-len(token) % 4)
            section, key = base64.urlsafe_b64decode(padded).decode().split(".")
            position = cls(int(section), int(key))
        except (ValueError, UnicodeDecodeError):
            raise InvalidFilter("not a cursor of this export", field="cursor") from None
        if not 0 <= position.section < len(_SECTIONS):
            raise InvalidFilter("not a cursor of this export", field="cursor")
        return position


@dataclass(frozen=True)
class PortalScope:
    """Whose records, and from which ledger index on (exclusive); ``None`` = everyone's."""

    producer: str | None = None
    after: int = -1


def portal_schema() -> dict[str, Any]:
    text = resources.files("traceapp.partners").joinpath("schemas/portal-v1.schema.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema


def portal_header(session: Session, base_url: str, origin: str, scope: PortalScope) -> Record:
    """The first line: profile, version and the checkpoint the records were read at."""
    size, root, _ = latest_checkpoint_head(session, origin)
    return {
        "record": "header",
        "profile": PROFILE,
        "version": VERSION,
        "generatedAt": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "publicUrl": base_url,
        "log": origin,
        "checkpoint": {"size": size, "rootHash": root.hex()},
        "producer": scope.producer,
        "afterLedgerIndex": scope.after if scope.after >= 0 else None,
    }


def portal_records(
    session: Session,
    base_url: str,
    scope: PortalScope,
    start: Position | None = None,
) -> Iterator[tuple[Position, Record]]:
    """Every record in scope after ``start``, with its position. Read in ``session``'s
    transaction (one snapshot for a whole export: ``Database.snapshot_sessions``)."""
    for section, records in enumerate(_SECTIONS):
        if start is not None and section < start.section:
            continue
        after_key = start.key if start is not None and section == start.section else None
        for key, record in records(session, base_url, scope, after_key):
            yield Position(section, key), record


def _of_producer(stmt: Select[Any], scope: PortalScope) -> Select[Any]:
    if scope.producer is None:
        return stmt
    return stmt.where(Producer.public_id == scope.producer)


def _paged(session: Session, stmt: Select[Any], key: Any, last: int | None) -> Iterator[Any]:
    """Keyset pages on ``key`` (a unique, ordered column) after ``last``: bounded memory."""
    while True:
        page_stmt = stmt.order_by(key).limit(PAGE)
        if last is not None:
            page_stmt = page_stmt.where(key > last)
        rows = session.execute(page_stmt).all()
        yield from rows
        if len(rows) < PAGE:
            return
        last = rows[-1]._mapping[key.key]


def _products(
    session: Session, base_url: str, scope: PortalScope, last: int | None
) -> Iterator[tuple[int, Record]]:
    stmt = _product_stmt(scope)
    today = vietnam_today()
    for page in _chunks(_paged(session, stmt, Product.id, last)):
        ids = [row.Product.id for row in page]
        certificates: dict[int, list[Certification]] = defaultdict(list)
        for c in session.scalars(
            select(Certification)
            .where(Certification.product_id.in_(ids))
            .order_by(Certification.ledger_seq)
        ):
            certificates[c.product_id].append(c)
        for row in page:
            product = _product(row.Product, row.Producer, certificates[row.id], base_url, today)
            yield row.id, product


def _chunks(rows: Iterator[Any]) -> Iterator[list[Any]]:
    page: list[Any] = []
    for row in rows:
        page.append(row)
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page


def _product(
    product: Product,
    producer: Producer,
    certificates: list[Certification],
    base_url: str,
    today: Any,
) -> dict[str, Any]:
    photo = product.photo
    images = [base_url + media_path(photo["sha256"], WEBP)] if photo else []
    if product.image_url:
        images.append(product.image_url)
    return {
        "record": "product",
        "gtin": product.gtin,
        "digitalLink": format_uri(base_url, DigitalLink(product.gtin)),
        "name": {"vi": product.name_vi, "en": product.name_en},
        "images": images,
        "brand": producer.name,
        "group": product.group,
        "description": product.description,
        "standards": list(product.standards),
        "certificates": [
            {
                "scheme": c.scheme,
                "stars": c.stars,
                "decisionNumber": c.decision_number,
                "issuer": c.issuer,
                "issuerLevel": c.issuer_level,
                "validFrom": c.issued_on.isoformat(),
                "validUntil": c.valid_until.isoformat(),
                "status": c.status(today),
                "ledgerIndex": c.ledger_seq,
                "revokedLedgerIndex": c.revoked_seq,
            }
            for c in certificates
        ],
        "producer": {
            "id": producer.public_id,
            "kind": producer.kind,
            "name": producer.name,
            "taxCode": producer.tax_code,
            "gln": producer.gln,
            "address": {
                "province": producer.province,
                "commune": producer.commune,
                "street": producer.street,
                "recordedOn": producer.address_recorded_on.isoformat(),
            },
            "ledgerIndex": producer.ledger_seq,
        },
        "ledgerIndex": product.ledger_seq,
        "updatedLedgerIndex": max(
            s
            for s in (product.updated_seq, product.photo_seq, producer.updated_seq)
            if s is not None
        ),
    }


def _batches(
    session: Session, base_url: str, scope: PortalScope, last: int | None
) -> Iterator[tuple[int, Record]]:
    stmt = _batch_stmt(scope)
    for page in _chunks(_paged(session, stmt, Batch.id, last)):
        inputs: dict[int, list[dict[str, str]]] = defaultdict(list)
        source = Batch.__table__.alias("input_batch")
        source_product = Product.__table__.alias("input_product")
        for batch_id, lot, gtin in session.execute(
            select(BatchInput.batch_id, source.c.lot, source_product.c.gtin)
            .join(source, BatchInput.input_batch_id == source.c.id)
            .join(source_product, source.c.product_id == source_product.c.id)
            .where(BatchInput.batch_id.in_([row.Batch.id for row in page]))
        ):
            inputs[batch_id].append({"gtin": gtin, "lot": lot})
        for row in page:
            batch, location = row.Batch, row.Location
            yield (
                batch.id,
                {
                    "record": "batch",
                    "gtin": row.gtin,
                    "lot": batch.lot,
                    "digitalLink": format_uri(base_url, DigitalLink(row.gtin, batch.lot)),
                    "productionDate": batch.production_date.isoformat(),
                    "expiryDate": batch.expiry_date.isoformat() if batch.expiry_date else None,
                    "quantity": str(batch.quantity) if batch.quantity is not None else None,
                    "unit": batch.unit,
                    "origin": (
                        {"uri": location_uri(location), "name": location.name, "gln": location.gln}
                        if location is not None
                        else None
                    ),
                    "inputs": inputs[batch.id],
                    "ledgerIndex": batch.ledger_seq,
                },
            )


def _items(
    session: Session, base_url: str, scope: PortalScope, last: int | None
) -> Iterator[tuple[int, Record]]:
    stmt = _item_stmt(scope)
    for row in _paged(session, stmt, Item.id, last):
        yield (
            row.id,
            {
                "record": "item",
                "gtin": row.gtin,
                "lot": row.lot,
                "serial": row.serial,
                "digitalLink": format_uri(base_url, DigitalLink(row.gtin, row.lot, row.serial)),
                "status": row.status,
                "ledgerIndex": row.issued_seq,
                "statusLedgerIndex": row.status_seq,
            },
        )


def _events(
    session: Session, _base_url: str, scope: PortalScope, last: int | None
) -> Iterator[tuple[int, Record]]:
    stmt = _event_stmt(scope)
    for page in _chunks(_paged(session, stmt, Event.ledger_seq, last)):
        epcs: dict[int, list[dict[str, str]]] = defaultdict(list)
        for seq, role, epc in session.execute(
            select(EventEpc.event_seq, EventEpc.role, EventEpc.epc)
            .where(EventEpc.event_seq.in_([row.Event.ledger_seq for row in page]))
            .order_by(EventEpc.id)
        ):
            epcs[seq].append({"role": role, "epc": epc})
        for row in page:
            seq = row.Event.ledger_seq
            yield seq, _event(row.Event, row.producer, row.gln, epcs[seq])


def _event(
    event: Event, producer: str, gln: str | None, what: list[dict[str, str]]
) -> dict[str, Any]:
    """A critical tracking event with TCVN 12850's who, what, when, where and why."""
    return {
        "record": "event",
        "eventId": event.event_id,
        "type": event.type,
        "action": event.action,
        "who": {"producer": producer, "gln": gln},
        "what": what,
        "when": {
            "eventTime": event.event_time.isoformat().replace("+00:00", "Z"),
            "eventTimeZoneOffset": event.event_time_zone_offset,
            "recordTime": event.record_time.isoformat().replace("+00:00", "Z"),
        },
        "where": {"readPoint": event.read_point, "bizLocation": event.biz_location},
        "why": {
            "bizStep": web_uri("bizStep", event.biz_step),
            "disposition": web_uri("disposition", event.disposition),
        },
        "ledgerIndex": event.ledger_seq,
        "errorDeclaredLedgerIndex": event.error_declared_seq,
        "errorReason": event.error_reason,
    }


def _product_stmt(scope: PortalScope) -> Select[Any]:
    return _of_producer(
        select(Product, Producer, Product.id).join(Producer, Product.producer_id == Producer.id),
        scope,
    ).where(
        or_(
            Product.updated_seq > scope.after,
            Product.photo_seq > scope.after,
            Producer.updated_seq > scope.after,
            Product.id.in_(
                select(Certification.product_id).where(
                    or_(
                        Certification.ledger_seq > scope.after,
                        Certification.revoked_seq > scope.after,
                    )
                )
            ),
        )
    )


def _batch_stmt(scope: PortalScope) -> Select[Any]:
    return _of_producer(
        select(Batch, Product.gtin, Location, Batch.id)
        .join(Product, Batch.product_id == Product.id)
        .join(Producer, Product.producer_id == Producer.id)
        .outerjoin(Location, Batch.origin_location_id == Location.id),
        scope,
    ).where(Batch.ledger_seq > scope.after)


def _item_stmt(scope: PortalScope) -> Select[Any]:
    return _of_producer(
        select(Item.id, Item.serial, Item.status, Item.issued_seq, Item.status_seq)
        .add_columns(Batch.lot, Product.gtin)
        .join(Batch, Item.batch_id == Batch.id)
        .join(Product, Batch.product_id == Product.id)
        .join(Producer, Product.producer_id == Producer.id),
        scope,
    ).where(or_(Item.issued_seq > scope.after, Item.status_seq > scope.after))


def _event_stmt(scope: PortalScope) -> Select[Any]:
    return _of_producer(
        select(Event, Producer.public_id.label("producer"), Producer.gln, Event.ledger_seq).join(
            Producer, Event.producer_id == Producer.id
        ),
        scope,
    ).where(or_(Event.ledger_seq > scope.after, Event.error_declared_seq > scope.after))


def portal_count(session: Session, scope: PortalScope) -> int:
    """How many records (the header aside) an export of ``scope`` holds: one count per kind."""
    return sum(
        session.execute(select(func.count()).select_from(stmt(scope).subquery())).scalar_one()
        for stmt in (_product_stmt, _batch_stmt, _item_stmt, _event_stmt)
    )


_SECTIONS: tuple[
    Callable[[Session, str, PortalScope, int | None], Iterator[tuple[int, Record]]], ...
] = (_products, _batches, _items, _events)
