"""Which server a GraphQL operation reads from (issue 19, ``traceapp.db.replicas``)."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from traceapp.db.sessions import allow_replica_reads


class ReplicaReads(SchemaExtension):
    """A query may read from a replica; a mutation never does: its writes and every read of
    it, its payload's included, stay on the primary. Decided once the operation is known."""

    def on_execute(self) -> Iterator[None]:
        if self.execution_context.operation_type is OperationType.QUERY:
            allow_replica_reads()
        yield
