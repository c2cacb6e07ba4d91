"""The ``statistics`` query: the office's figures for provincial and national portals.

Office (admin) and auditor tokens read any scope; a producer token reads its own figures only
(asking for another producer's is refused). Figures and checkpoint come from one snapshot.
"""

from __future__ import annotations

from typing import Any

import strawberry

from traceapp.api.context import context_of
from traceapp.api.errors import ApiError
from traceapp.api.ids import public_id_of
from traceapp.api.permissions import PRODUCER
from traceapp.api.planner import fields_of
from traceapp.i18n import vietnam_today
from traceapp.statistics import services
from traceapp.statistics.scopes import make_scope

Info = strawberry.Info[Any, Any]


@strawberry.type(description="A count under a key (a province, a group, a month ...).")
class StatisticsFigure:
    key: str
    count: int


@strawberry.type(description="Batches produced of one product in one month, and their quantity.")
class CapacityFigure:
    product_public_id: str
    product_name: str
    month: str
    unit: str
    batches: int
    quantity: float


@strawberry.type(description="Scans and suspected-copy signals under a province or product.")
class ScanFigure:
    key: str
    name: str
    scans: int
    signals: int


@strawberry.type(description="The ledger checkpoint the figures were read at.")
class StatisticsCheckpoint:
    size: int
    root_hash: str = strawberry.field(description="Base64, as in the signed checkpoint.")


@strawberry.type(
    description=(
        "Figures of the nation, a province (of the 34 since 1 July 2025) or one producer, from "
        "the aggregates the ledger's projectors keep; valid certificates are those not revoked "
        "and not past their end date today."
    )
)
class Statistics:
    checkpoint: StatisticsCheckpoint
    province: str | None
    producers: int
    products: int
    certificates_valid: int
    certificates_ending_in_30_days: int
    certificates_ending_in_90_days: int
    producers_by_province: list[StatisticsFigure]
    producers_by_commune: list[StatisticsFigure]
    producers_by_kind: list[StatisticsFigure]
    producers_by_status: list[StatisticsFigure]
    products_by_group: list[StatisticsFigure]
    products_by_province: list[StatisticsFigure]
    certificates_by_stars: list[StatisticsFigure]
    certificates_by_province: list[StatisticsFigure]
    items_per_month: list[StatisticsFigure]
    events_per_month: list[StatisticsFigure]
    capacity: list[CapacityFigure] = strawberry.field(
        description="Batches by product and production month, the last 12 months, of the 20 "
        "products with the most batches ever made."
    )
    scans_by_province: list[ScanFigure] = strawberry.field(
        description="Scans and signals of the last 12 months by province, most scans first."
    )
    scans_by_product: list[ScanFigure] = strawberry.field(
        description="Scans and signals of the last 12 months of the 20 products with the most "
        "scans ever, most scans first."
    )


# The part of ``services.statistics`` each field reads; the checkpoint and province none.
_PARTS = {
    "producers": "producers",
    "producersByProvince": "producers",
    "producersByKind": "producers",
    "producersByStatus": "producers",
    "producersByCommune": "communes",
    "products": "products",
    "productsByGroup": "products",
    "productsByProvince": "products",
    "certificatesValid": "certificates",
    "certificatesByStars": "certificates",
    "certificatesByProvince": "certificates",
    "certificatesEndingIn30Days": "expiring",
    "certificatesEndingIn90Days": "expiring",
    "itemsPerMonth": "items",
    "eventsPerMonth": "events",
    "capacity": "capacity",
    "scansByProvince": "scans_by_province",
    "scansByProduct": "scans_by_product",
}


def _selected_parts(info: Info) -> set[str]:
    """The parts the query selects (through fragments): a portal that asks for two counts
    runs their statements, not the page's twenty."""
    fields = fields_of(info.selected_fields[0].selections, "Statistics")
    return {_PARTS[f.name] for f in fields if f.name in _PARTS}


def _figures(found: list[services.Figure]) -> list[StatisticsFigure]:
    return [StatisticsFigure(key=f.key, count=f.count) for f in found]


def _scans(found: list[services.ScanFigure]) -> list[ScanFigure]:
    return [ScanFigure(key=f.key, name=f.name, scans=f.scans, signals=f.signals) for f in found]


def _convert(s: services.Statistics) -> Statistics:
    return Statistics(
        checkpoint=StatisticsCheckpoint(size=s.checkpoint.size, root_hash=s.checkpoint.root),
        province=s.scope.province,
        producers=s.producers,
        products=s.products,
        certificates_valid=s.certificates_valid,
        certificates_ending_in_30_days=s.expiring_30,
        certificates_ending_in_90_days=s.expiring_90,
        producers_by_province=_figures(s.producers_by_province),
        producers_by_commune=_figures(s.producers_by_commune),
        producers_by_kind=_figures(s.producers_by_kind),
        producers_by_status=_figures(s.producers_by_status),
        products_by_group=_figures(s.products_by_group),
        products_by_province=_figures(s.products_by_province),
        certificates_by_stars=_figures(s.certificates_by_stars),
        certificates_by_province=_figures(s.certificates_by_province),
        items_per_month=_figures(s.items_per_month),
        events_per_month=_figures(s.events_per_month),
        capacity=[
            CapacityFigure(
                product_public_id=c.product,
                product_name=c.name,
                month=c.month,
                unit=c.unit,
                batches=c.batches,
                quantity=c.quantity,
            )
            for c in s.capacity
        ],
        scans_by_province=_scans(s.scans_by_province),
        scans_by_product=_scans(s.scans_by_product),
    )


@strawberry.type
class StatisticsQueries:
    @strawberry.field(
        description=(
            "Statistics of the nation, a province (any spelling: with or without diacritics, "
            "before or after the 2025 merger) or one producer. Office and auditor tokens: any "
            "scope; producer tokens: their own producer's figures only."
        )
    )
    def statistics(
        self,
        info: Info,
        province: str | None = None,
        producer_id: strawberry.ID | None = None,
        commune: str | None = None,
        group: str | None = None,
        kind: str | None = None,
    ) -> Statistics:
        context = context_of(info)
        principal = context.principal
        producer = public_id_of(str(producer_id), "Producer", "producerId") if producer_id else None
        if principal.role == PRODUCER:
            if producer is not None and producer != principal.producer:
                raise ApiError("a producer token reads its own figures only", "FORBIDDEN")
            producer = principal.producer
        scope = make_scope(
            province=province, producer=producer, commune=commune, group=group, kind=kind
        )
        today = vietnam_today()
        with context.database.snapshot_sessions() as session, session.begin():
            found = services.statistics(
                session, context.origin, scope, today, _selected_parts(info)
            )
        return _convert(found)
