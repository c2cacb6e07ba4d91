"""Global ID resolution for ``node``/``nodes``, with each type's visibility rule."""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from sqlalchemy import Select, false, select

from traceapp.api.context import ApiContext, context_of
from traceapp.api.ids import decode_global_id
from traceapp.api.permissions import ANONYMOUS, PRODUCER
from traceapp.api.planner import graphql_name, plan
from traceapp.api.types.batches import Batch, Item
from traceapp.api.types.catalog import Certification, Location, Producer, Product
from traceapp.api.types.common import Node
from traceapp.api.types.events import Event, Recall
from traceapp.batches import models as batches
from traceapp.events import models as events
from traceapp.locations import models as locations
from traceapp.producers import models as producers
from traceapp.products import models as products
from traceapp.recalls import models as recalls

Scope = Callable[[ApiContext, Select[Any]], Select[Any]]


def public(_context: ApiContext, stmt: Select[Any]) -> Select[Any]:
    return stmt


def own_producer(context: ApiContext) -> Any:
    """The caller's producer key as a scalar subquery: scoping costs no extra statement."""
    return (
        select(producers.Producer.id)
        .where(producers.Producer.public_id == context.principal.producer)
        .scalar_subquery()
    )


def item_scope(context: ApiContext, stmt: Select[Any]) -> Select[Any]:
    """Items are private: staff see all, a producer its own, anonymous none."""
    role = context.principal.role
    if role == ANONYMOUS:
        return stmt.where(false())
    if role == PRODUCER:
        owned = (
            select(batches.Batch.id)
            .join(products.Product, batches.Batch.product_id == products.Product.id)
            .where(products.Product.producer_id == own_producer(context))
        )
        return stmt.where(batches.Item.batch_id.in_(owned))
    return stmt


def event_scope(context: ApiContext, stmt: Select[Any]) -> Select[Any]:
    """Events name item EPCs: staff see all, a producer its own, anonymous none."""
    role = context.principal.role
    if role == ANONYMOUS:
        return stmt.where(false())
    if role == PRODUCER:
        return stmt.where(events.Event.producer_id == own_producer(context))
    return stmt


@dataclass(frozen=True)
class NodeKind:
    type: type[Node]
    model: builtins.type[Any]
    scope: Scope


KINDS: dict[str, NodeKind] = {
    graphql_name(kind.type): kind
    for kind in (
        NodeKind(Producer, producers.Producer, public),
        NodeKind(Product, products.Product, public),
        NodeKind(Certification, products.Certification, public),
        NodeKind(Location, locations.Location, public),
        NodeKind(Batch, batches.Batch, public),
        NodeKind(Recall, recalls.Recall, public),
        NodeKind(Item, batches.Item, item_scope),
        NodeKind(Event, events.Event, event_scope),
    )
}


def resolve_nodes(info: strawberry.Info[Any, Any], ids: Sequence[str]) -> list[Node | None]:
    """One query per type named in ``ids``; unknown, malformed or invisible IDs give null."""
    context = context_of(info)
    wanted: dict[str, list[str]] = defaultdict(list)
    for value in ids:
        decoded = decode_global_id(value)
        if decoded is not None and decoded[0] in KINDS:
            wanted[decoded[0]].append(decoded[1])
    selections = info.selected_fields[0].selections
    found: dict[tuple[str, str], Node] = {}
    for type_name, public_ids in wanted.items():
        kind = KINDS[type_name]
        stmt = kind.scope(context, select(kind.model).where(kind.model.public_id.in_(public_ids)))
        stmt = stmt.options(*plan(kind.type, selections))
        for row in context.session.execute(stmt).unique().scalars():
            found[(type_name, row.public_id)] = kind.type(row=row)
    out: list[Node | None] = []
    for value in ids:
        decoded = decode_global_id(value)
        out.append(found.get(decoded) if decoded is not None else None)
    return out


def load_by_public_ids(
    info: strawberry.Info[Any, Any],
    node_type: type[Node],
    public_ids: Sequence[str],
    selections: Sequence[Any],
) -> list[Node]:
    """Objects a mutation just wrote, in order, planned for what the payload selects."""
    if not public_ids:
        return []
    kind = KINDS[graphql_name(node_type)]
    context = context_of(info)
    stmt = select(kind.model).where(kind.model.public_id.in_(list(public_ids)))
    stmt = kind.scope(context, stmt).options(*plan(node_type, selections))
    rows = {r.public_id: r for r in context.session.execute(stmt).unique().scalars()}
    return [node_type(row=rows[p]) for p in public_ids if p in rows]
