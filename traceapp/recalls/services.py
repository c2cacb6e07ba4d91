"""Recalls: a batch is withdrawn; every scan of its items shows the warning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.batches.services import batch_producer, get_batch
from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.producers.services import require_producer_actor
from traceapp.recalls.errors import RecallInvalid
from traceapp.recalls.models import SEVERITIES
from traceapp.validation import format_event_time


@dataclass(frozen=True)
class RecallInput:
    batches: list[str]
    reason: str
    severity: str
    issued_at: datetime | None = None


def plan_issue_recall(
    session: Session, ledger: Ledger, request: WriteRequest, data: RecallInput
) -> list[Draft]:
    if request.client_signed and data.issued_at is None:
        raise RecallInvalid(
            "is required with a client signature (the statement must not change)",
            field="issuedAt",
        )
    ids = request.ids(ledger)
    if not data.batches:
        raise RecallInvalid("name at least one batch", field="batches")
    batches = sorted(set(data.batches))
    for index, batch_id in enumerate(batches):
        batch = get_batch(session, batch_id, f"batches.{index}")
        require_producer_actor(session, ledger, request.actor, batch_producer(session, batch))
    issued_at, _zone = format_event_time(data.issued_at or datetime.now(UTC))
    return [
        Draft(
            "recall.issued",
            {
                "id": ids.public_id("rcl"),
                "batches": batches,
                "reason": v.required_text(data.reason, "reason", max_length=2000),
                "severity": v.choice(data.severity, "severity", SEVERITIES),
                "issued_at": issued_at,
            },
        )
    ]


def issue_recall(
    session: Session,
    ledger: Ledger,
    actor: str,
    data: RecallInput,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, signature)
    return issue_recall_as(session, ledger, request, data)


def issue_recall_as(
    session: Session, ledger: Ledger, request: WriteRequest, data: RecallInput
) -> Receipt:
    """``issue_recall`` for a prepared request (the console's, naming its member)."""
    return perform(
        session,
        ledger,
        request,
        lambda: plan_issue_recall(session, ledger, request, data),
        op={"op": "issue_recall", **data.__dict__},
    )
