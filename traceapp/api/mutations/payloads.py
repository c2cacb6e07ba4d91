"""Mutation payloads: the object written, where its entry sits in the log, and userErrors."""

from __future__ import annotations

import base64
from typing import Any, Self

import strawberry
from sqlalchemy import select
from strawberry.scalars import JSON

from traceapp.api.context import context_of
from traceapp.api.nodes import load_by_public_ids
from traceapp.api.planner import plan
from traceapp.api.types.batches import Batch, Item
from traceapp.api.types.catalog import Certification, Location, Producer, Product
from traceapp.api.types.common import Node, UserError
from traceapp.api.types.events import Event, Recall
from traceapp.api.types.ledger import ActorKey
from traceapp.batches import models as batches
from traceapp.ledger_store import models as ledger_models
from traceapp.ledger_store.service import Receipt

Info = strawberry.Info[Any, Any]


@strawberry.type
class Payload:
    ledger_index: int | None = strawberry.field(description="Index of the first entry appended.")
    leaf_hash: str | None = strawberry.field(description="base64 leaf hash of that entry.")
    entry_count: int = strawberry.field(description="Entries appended (0 when nothing was).")
    replayed: bool = strawberry.field(description="True when an idempotency key was reused.")
    user_errors: list[UserError]
    public_ids: strawberry.Private[list[str]]

    @classmethod
    def of(cls, receipt: Receipt | None, errors: list[UserError], **extra: Any) -> Self:
        if receipt is None:
            return cls(
                ledger_index=None,
                leaf_hash=None,
                entry_count=0,
                replayed=False,
                user_errors=errors,
                public_ids=[],
                **extra,
            )
        return cls(
            ledger_index=receipt.ledger_index,
            leaf_hash=base64.b64encode(receipt.leaf_hash).decode(),
            entry_count=receipt.entry_count,
            replayed=receipt.replayed,
            user_errors=errors,
            public_ids=list(receipt.public_ids),
            **extra,
        )

    def _nodes(self, info: Info, node_type: type[Node], ids: list[str] | None = None) -> list[Any]:
        wanted = self.public_ids if ids is None else ids
        return load_by_public_ids(info, node_type, wanted, info.selected_fields[0].selections)

    def _first(self, info: Info, node_type: type[Node]) -> Any:
        found = self._nodes(info, node_type, self.public_ids[:1])
        return found[0] if found else None


@strawberry.type
class RegisterProducerPayload(Payload):
    @strawberry.field
    def producer(self, info: Info) -> Producer | None:
        return self._first(info, Producer)  # type: ignore[no-any-return]


@strawberry.type
class UpdateProducerContactPayload(RegisterProducerPayload):
    pass


@strawberry.type
class RegisterProductPayload(Payload):
    @strawberry.field
    def product(self, info: Info) -> Product | None:
        return self._first(info, Product)  # type: ignore[no-any-return]


@strawberry.type
class UpdateProductPayload(RegisterProductPayload):
    pass


@strawberry.type
class UploadProductPhotoPayload(RegisterProductPayload):
    pass


@strawberry.type
class UploadProducerLogoPayload(RegisterProducerPayload):
    pass


@strawberry.type
class GrantCertificationPayload(Payload):
    @strawberry.field
    def certification(self, info: Info) -> Certification | None:
        return self._first(info, Certification)  # type: ignore[no-any-return]


@strawberry.type
class RevokeCertificationPayload(GrantCertificationPayload):
    pass


@strawberry.type
class RegisterLocationPayload(Payload):
    @strawberry.field
    def location(self, info: Info) -> Location | None:
        return self._first(info, Location)  # type: ignore[no-any-return]


@strawberry.type
class UpdateLocationPayload(RegisterLocationPayload):
    pass


@strawberry.type
class CreateBatchPayload(Payload):
    @strawberry.field
    def batch(self, info: Info) -> Batch | None:
        return self._first(info, Batch)  # type: ignore[no-any-return]


@strawberry.type(description="A serial and the PIN printed under its scratch-off.")
class ItemPin:
    serial: str
    pin: str


@strawberry.type
class IssueItemsPayload(Payload):
    pins: list[ItemPin] = strawberry.field(
        description="Shown once, never stored: empty on a replayed request."
    )

    @strawberry.field(description="The items issued, in order.")
    def items(self, info: Info) -> list[Item]:
        if self.ledger_index is None:
            return []
        # One range read on the items.issued entries, however many items (≤ 100,000).
        last = self.ledger_index + self.entry_count - 1
        stmt = (
            select(batches.Item)
            .where(batches.Item.issued_seq.between(self.ledger_index, last))
            .order_by(batches.Item.issued_seq, batches.Item.id)
            .options(*plan(Item, info.selected_fields[0].selections))
        )
        rows = context_of(info).session.execute(stmt).unique().scalars()
        return [Item(row=row) for row in rows]


@strawberry.type(
    description="A step recorded that may be right but looks odd (plausibility rules, "
    "docs/rules.md): the event at `field`, a stable `code`, the `message` in the caller's language."
)
class EventNotice:
    field: str | None
    message: str
    code: str


NOTICES = (
    "Plausibility notices on the events recorded (in the caller's language): recorded all the "
    "same. Empty on a replayed request."
)


@strawberry.type
class RecordEventPayload(Payload):
    notices: list[EventNotice] = strawberry.field(default_factory=list, description=NOTICES)

    @strawberry.field
    def event(self, info: Info) -> Event | None:
        return self._first(info, Event)  # type: ignore[no-any-return]


@strawberry.type
class EventsPayload(Payload):
    @strawberry.field(description="The events recorded now (known ones are skipped).")
    def events(self, info: Info) -> list[Event]:
        return self._nodes(info, Event)


@strawberry.type
class RecordEventsPayload(EventsPayload):
    notices: list[EventNotice] = strawberry.field(default_factory=list, description=NOTICES)


@strawberry.type
class CaptureEpcisEventsPayload(RecordEventsPayload):
    pass


@strawberry.type
class CaptureEpcisDocumentPayload(EventsPayload):  # its report carries the notices
    report: JSON | None = strawberry.field(
        default=None,
        description="The capture report: recorded, duplicate and error-declared events and "
        "eventID warnings, each by JSON pointer into the document.",
    )


@strawberry.type
class DeclareEventErrorPayload(Payload):
    @strawberry.field(description="The corrective events recorded with the declaration.")
    def corrective_events(self, info: Info) -> list[Event]:
        return self._nodes(info, Event, self.public_ids[:-1])


@strawberry.type
class IssueRecallPayload(Payload):
    @strawberry.field
    def recall(self, info: Info) -> Recall | None:
        return self._first(info, Recall)  # type: ignore[no-any-return]


@strawberry.type
class RegisterKeyPayload(Payload):
    @strawberry.field
    def key(self, info: Info) -> ActorKey | None:
        if not self.public_ids:
            return None
        row = context_of(info).session.get(ledger_models.ActorKey, self.public_ids[0])
        return ActorKey(row=row) if row is not None else None


@strawberry.type
class RevokeKeyPayload(RegisterKeyPayload):
    pass


@strawberry.type(description="The exact bytes a client-held key must sign, and what they say.")
class PreparedStatement:
    actor: str | None
    type: str | None
    statement: strawberry.scalars.JSON | None
    message: str | None = strawberry.field(
        description="base64 of the bytes to sign: 'ocop-ledger/statement/v1\\n' + JCS(...)."
    )
    idempotency_key: str | None
    user_errors: list[UserError]
