"""Keyset pagination into Relay connections, with eager loading planned from the selection."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import strawberry
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from traceapp.api.context import context_of
from traceapp.api.errors import ApiError
from traceapp.api.ids import decode_cursor, encode_cursor
from traceapp.api.limits import MAX_FIRST
from traceapp.api.planner import child_selections, plan
from traceapp.api.types.common import Connection, Edge, PageInfo

T = TypeVar("T")


def check_first(first: int) -> None:
    if first > MAX_FIRST:
        raise ApiError(f"first must be at most {MAX_FIRST}", "PAGE_LIMIT_EXCEEDED")
    if first < 0:
        raise ApiError("first must not be negative", "BAD_USER_INPUT")


def node_selections(info: strawberry.Info[Any, Any]) -> list[Any]:
    """What the query selects on the connection's nodes (through edges or nodes)."""
    selections = info.selected_fields[0].selections
    return child_selections(selections, "edges", "node") + child_selections(selections, "nodes")


def paginate(
    info: strawberry.Info[Any, Any],
    node_type: Callable[..., T],
    stmt: Select[Any],
    keys: Sequence[InstrumentedAttribute[Any]],
    first: int,
    after: str | None,
) -> Connection[T]:
    """One page of ``stmt``'s entity, ordered by the unique ``keys``, after a cursor."""
    check_first(first)
    session = context_of(info).session
    counted = stmt
    if after is not None:
        values = decode_cursor(after, len(keys))
        condition = keys[0] > values[0] if len(keys) == 1 else tuple_(*keys) > tuple_(*values)
        stmt = stmt.where(condition)
    options = plan(node_type, node_selections(info))  # type: ignore[arg-type]
    rows = list(
        session.execute(stmt.options(*options).order_by(*keys).limit(first + 1)).unique().scalars()
    )
    has_next = len(rows) > first
    rows = rows[:first]
    key_names = [k.key for k in keys]
    edges = [
        Edge(
            cursor=encode_cursor(tuple(getattr(row, name) for name in key_names)),
            node=node_type(row=row),
        )
        for row in rows
    ]

    def count() -> int:
        total = session.execute(
            select(func.count()).select_from(counted.order_by(None).subquery())
        ).scalar_one()
        return int(total)

    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )
