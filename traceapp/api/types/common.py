"""Shared GraphQL types: the Node interface, Relay connections, user errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from traceapp.api.ids import encode_global_id

# OCOP certificates are dated in Vietnam; a certificate's status follows Vietnam's calendar.


@strawberry.interface(description="An object with an opaque global ID: base64 of 'Type:publicId'.")
class Node:
    row: strawberry.Private[Any]

    @strawberry.field(description="Opaque global ID; pass it to `node(id:)` to fetch the object.")
    def id(self) -> strawberry.ID:
        name: str = type(self).__strawberry_definition__.name  # type: ignore[attr-defined]
        return strawberry.ID(encode_global_id(name, self.row.public_id))


NodeT = TypeVar("NodeT")


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(
    description="A page of results: `first` ≤ 100 per page, then `after` the end cursor."
)
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], int]]

    @strawberry.field(description="All results matching the filters (counted only when asked).")
    def total_count(self) -> int:
        return self.count()

    @strawberry.field(description="The edges' nodes, for clients that need no cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


@strawberry.type(description="Why a mutation did nothing: the input field at fault and a code.")
class UserError:
    field: str | None
    message: str
    code: str
