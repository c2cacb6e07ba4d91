"""The office's lists and statistics as tables for export: columns and a stream of rows.

Lists stream from the domain tables (``yield_per``: rows leave as they are read, memory stays
flat); statistics come from the aggregates. The caller reads them in one snapshot session with
the checkpoint (``exports``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.accounts.models import Account
from traceapp.batches.models import Batch, Item
from traceapp.producers.models import Producer
from traceapp.products.models import Certification, Product, certificate_status
from traceapp.statistics import services
from traceapp.statistics.errors import InvalidFilter
from traceapp.statistics.inbox import inbox
from traceapp.statistics.provinces import current_province, fold
from traceapp.statistics.scopes import Scope

Row = Sequence[Any]
STREAM = 2000


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: Iterator[Row]


@dataclass(frozen=True)
class Request:
    scope: Scope
    today: date
    days: int | None = None  # certificates: ending within this many days
    account: Account | None = None  # the reports' inbox: who reads it


def _in_scope(scope: Scope, province: str, commune: str | None, producer: str) -> bool:
    if scope.producer and producer != scope.producer:
        return False
    if scope.province and current_province(province) != scope.province:
        return False
    return scope.commune is None or fold(commune or "") == fold(scope.commune)


def _producers(session: Session, req: Request) -> Table:
    query = select(Producer).order_by(Producer.id).execution_options(yield_per=STREAM)
    if req.scope.kind:
        query = query.where(Producer.kind == req.scope.kind)

    def rows() -> Iterator[Row]:
        for p in session.execute(query).scalars():
            if _in_scope(req.scope, p.province, p.commune, p.public_id):
                yield (
                    p.public_id,
                    p.name,
                    p.kind,
                    p.tax_code,
                    current_province(p.province),
                    p.province,
                    p.commune,
                    p.address_recorded_on,
                    p.gln,
                )

    return Table(
        (
            "producer",
            "name",
            "kind",
            "tax_code",
            "province",
            "province_recorded",
            "commune",
            "address_recorded_on",
            "gln",
        ),
        rows(),
    )


def _products(session: Session, req: Request) -> Table:
    query = (
        select(
            Product.public_id,
            Product.gtin,
            Product.name_vi,
            Product.name_en,
            Product.group,
            Producer.public_id,
            Producer.name,
            Producer.province,
            Producer.commune,
        )
        .join(Producer, Product.producer_id == Producer.id)
        .order_by(Product.id)
        .execution_options(yield_per=STREAM)
    )
    if req.scope.group:
        query = query.where(Product.group == req.scope.group)

    def rows() -> Iterator[Row]:
        for r in session.execute(query):
            if _in_scope(req.scope, r[7], r[8], r[5]):
                yield (*r[:7], current_province(r[7]), r[8])

    return Table(
        (
            "product",
            "gtin",
            "name_vi",
            "name_en",
            "group",
            "producer",
            "producer_name",
            "province",
            "commune",
        ),
        rows(),
    )


def _certificates(session: Session, req: Request) -> Table:
    query = (
        select(
            Certification,
            Product.gtin,
            Product.name_vi,
            Producer.public_id,
            Producer.name,
            Producer.province,
            Producer.commune,
        )
        .join(Product, Certification.product_id == Product.id)
        .join(Producer, Product.producer_id == Producer.id)
        .execution_options(yield_per=STREAM)
    )
    if req.days is not None:
        query = query.where(
            Certification.valid_until >= req.today,
            Certification.valid_until <= req.today + timedelta(days=req.days),
            Certification.revoked_seq.is_(None),
        ).order_by(Certification.valid_until, Certification.id)
    else:
        query = query.order_by(Certification.id)

    def rows() -> Iterator[Row]:
        for c, gtin, name, producer, producer_name, province, commune in session.execute(query):
            if _in_scope(req.scope, province, commune, producer):
                yield (
                    c.public_id,
                    gtin,
                    name,
                    producer_name,
                    current_province(province),
                    c.scheme,
                    c.stars,
                    c.issuer,
                    c.issuer_level,
                    c.decision_number,
                    c.issued_on,
                    c.valid_until,
                    certificate_status(
                        c.revoked_seq is not None, c.issued_on, c.valid_until, req.today
                    ),
                )

    return Table(
        (
            "certificate",
            "gtin",
            "product",
            "producer",
            "province",
            "scheme",
            "stars",
            "issuer",
            "issuer_level",
            "decision_number",
            "issued_on",
            "valid_until",
            "status",
        ),
        rows(),
    )


def _items(session: Session, req: Request) -> Table:
    query = (
        select(
            Item.public_id,
            Product.gtin,
            Batch.lot,
            Item.serial,
            Item.status,
            Item.issued_seq,
            Producer.public_id,
            Producer.province,
        )
        .join(Batch, Item.batch_id == Batch.id)
        .join(Product, Batch.product_id == Product.id)
        .join(Producer, Product.producer_id == Producer.id)
        .order_by(Item.id)
        .execution_options(yield_per=STREAM)
    )
    if req.scope.producer:
        query = query.where(Producer.public_id == req.scope.producer)

    def rows() -> Iterator[Row]:
        for r in session.execute(query):
            if _in_scope(req.scope, r[7], None, r[6]):
                yield (*r[:6], current_province(r[7]))

    return Table(
        ("item", "gtin", "lot", "serial", "status", "issued_ledger_index", "province"), rows()
    )


def _reports(session: Session, req: Request) -> Table:
    if req.account is None:
        raise InvalidFilter("the inbox needs its reader", field="account")
    entries = inbox(session, req.account, limit=500)
    return Table(
        ("report", "created_at", "reason", "code", "details", "state", "state_changed_at"),
        iter(
            [
                (
                    e.report.public_id,
                    e.report.created_at,
                    e.report.reason,
                    e.report.code,
                    e.report.details,
                    e.state,
                    e.changed_at,
                )
                for e in entries
            ]
        ),
    )


def _figures(
    pick: Callable[[services.Statistics], list[services.Figure]], name: str, part: str
) -> Callable[[Session, Request, str], Table]:
    """A table of one figure, read alone (``part`` of ``services.PARTS``)."""

    def table(session: Session, req: Request, origin: str) -> Table:
        stats = services.statistics(session, origin, req.scope, req.today, (part,))
        return Table((name, "count"), iter([(f.key, f.count) for f in pick(stats)]))

    return table


def _capacity(session: Session, req: Request, origin: str) -> Table:
    del origin
    found = services.capacity(session, req.scope, req.today, top=None)
    return Table(
        ("product", "name", "month", "unit", "batches", "quantity"),
        iter([(c.product, c.name, c.month, c.unit, c.batches, c.quantity) for c in found]),
    )


def _scans(by: str) -> Callable[[Session, Request, str], Table]:
    def table(session: Session, req: Request, origin: str) -> Table:
        del origin
        found = services.scans_by(session, req.scope, by, req.today, top=None)
        return Table(
            (by, "name", "scans", "signals"),
            iter([(f.key, f.name, f.scans, f.signals) for f in found]),
        )

    return table


LISTS: dict[str, Callable[[Session, Request], Table]] = {
    "producers": _producers,
    "products": _products,
    "certificates": _certificates,
    "items": _items,
    "reports": _reports,
}
STATISTICS: dict[str, Callable[[Session, Request, str], Table]] = {
    "producers_by_province": _figures(lambda s: s.producers_by_province, "province", "producers"),
    "producers_by_commune": _figures(lambda s: s.producers_by_commune, "commune", "communes"),
    "producers_by_kind": _figures(lambda s: s.producers_by_kind, "kind", "producers"),
    "producers_by_status": _figures(lambda s: s.producers_by_status, "status", "producers"),
    "products_by_group": _figures(lambda s: s.products_by_group, "group", "products"),
    "products_by_province": _figures(lambda s: s.products_by_province, "province", "products"),
    "certificates_by_stars": _figures(lambda s: s.certificates_by_stars, "stars", "certificates"),
    "certificates_by_province": _figures(
        lambda s: s.certificates_by_province, "province", "certificates"
    ),
    "items_per_month": _figures(lambda s: s.items_per_month, "month", "items"),
    "events_per_month": _figures(lambda s: s.events_per_month, "month", "events"),
    "capacity": _capacity,
    "scans_by_province": _scans("province"),
    "scans_by_product": _scans("product"),
}
NAMES = (*LISTS, *STATISTICS)


def table(session: Session, name: str, req: Request, origin: str) -> Table:
    """The table ``name`` (one of NAMES) for ``req``; InvalidFilter for another name."""
    if name in LISTS:
        return LISTS[name](session, req)
    if name in STATISTICS:
        return STATISTICS[name](session, req, origin)
    raise InvalidFilter(f"one of {', '.join(NAMES)}", field="table")
