"""The strawberry schema, built once per process (per introspection setting)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from graphql import NoSchemaIntrospectionCustomRule
from traceapp.api.errors import ErrorPolicy
from traceapp.api.ledger_queries import LedgerQueries
from traceapp.api.limits import DocumentLimits
from traceapp.api.mutations.resolvers import Mutation, PrepareQueries
from traceapp.api.permissions import FieldPermissions
from traceapp.api.portal import PortalQueries
from traceapp.api.queries import CatalogQueries
from traceapp.api.routing import ReplicaReads
from traceapp.api.statistics import StatisticsQueries
from traceapp.api.types.batches import Batch, Item
from traceapp.api.types.catalog import Certification, Location, Producer, Product
from traceapp.api.types.events import Event, Recall
from traceapp.api.verification import VerificationQueries

Query = merge_types(
    "Query",
    (
        CatalogQueries,
        LedgerQueries,
        VerificationQueries,
        PrepareQueries,
        PortalQueries,
        StatisticsQueries,
    ),
)

_lock = threading.Lock()
_schemas: dict[bool, strawberry.Schema] = {}


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    # Factories: strawberry builds fresh extensions per request.
    extensions: list[Callable[[], SchemaExtension]] = [
        ErrorPolicy,  # first: it sees the final result of every other extension
        partial(DocumentLimits, () if introspection else (NoSchemaIntrospectionCustomRule,)),
        FieldPermissions,
        ReplicaReads,
    ]
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        # Types reachable only through Node must still be in the schema.
        types=[Producer, Product, Certification, Location, Batch, Item, Event, Recall],
        extensions=extensions,
        # "Did you mean ...?" would leak field names even with introspection off.
        config=StrawberryConfig(disable_field_suggestions=True),
    )


def get_schema(*, introspection: bool = True) -> strawberry.Schema:
    """The process's schema for this setting, built on first use."""
    schema = _schemas.get(introspection)
    if schema is None:
        with _lock:
            schema = _schemas.get(introspection)
            if schema is None:
                schema = _schemas[introspection] = build_schema(introspection=introspection)
    return schema


def sdl() -> str:
    """The schema's SDL as committed in graphql/schema.graphql."""
    return get_schema(introspection=True).as_str() + "\n"
