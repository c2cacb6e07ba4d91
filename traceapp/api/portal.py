"""``portalRecords``: the national portal profile v1 (docs/portal.md) through GraphQL.

The same records as ``traceapp export portal`` and ``GET /portal/v1/records``
(``traceapp.partners.portal``), one per edge, each the JSON object the profile's schema
describes; the cursor is the export's position, so paging never repeats or skips a record.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from traceapp.api.context import context_of
from traceapp.api.errors import ApiError
from traceapp.api.ids import public_id_of
from traceapp.api.limits import DEFAULT_FIRST
from traceapp.api.paging import check_first
from traceapp.api.permissions import ADMIN, AUDITOR
from traceapp.api.types.common import Connection, Edge, PageInfo
from traceapp.errors import DomainError
from traceapp.partners.portal import PortalScope, Position, portal_count, portal_records

Info = strawberry.Info[Any, Any]


@strawberry.type(description="One record of the national portal profile v1 (docs/portal.md).")
class PortalRecord:
    kind: str = strawberry.field(description="product, batch, item or event.")
    ledger_index: int = strawberry.field(description="The ledger entry that made the record.")
    record: JSON = strawberry.field(description="The record, as portal-v1.schema.json says.")


@strawberry.type
class PortalQueries:
    @strawberry.field(
        description="The national portal profile's records (staff; a producer's token: its "
        "own). `afterLedgerIndex`: only what changed after that entry (incremental sync)."
    )
    def portal_records(
        self,
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        producer: strawberry.ID | None = None,
        after_ledger_index: int | None = None,
    ) -> Connection[PortalRecord]:
        check_first(first)
        context = context_of(info)
        principal = context.principal
        wanted = public_id_of(producer, "Producer", "producer") if producer else None
        if principal.role not in (ADMIN, AUDITOR):
            if wanted not in (None, principal.producer):
                raise ApiError("a producer's token reads its own records", "FORBIDDEN")
            wanted = principal.producer
        scope = PortalScope(wanted, max(after_ledger_index or -1, -1))
        try:
            start = Position.parse(after) if after else None
        except DomainError:
            raise ApiError("not a cursor of this connection", "BAD_CURSOR") from None
        base = context.app.config["TRACEAPP"].public_url
        session = context.session
        rows = list(islice(portal_records(session, base, scope, start), first + 1))
        edges = [
            Edge(
                cursor=position.token(),
                node=PortalRecord(
                    kind=record["record"],
                    ledger_index=record["ledgerIndex"],
                    record=cast(JSON, record),
                ),
            )
            for position, record in rows[:first]
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            count=lambda: portal_count(session, scope),
        )
