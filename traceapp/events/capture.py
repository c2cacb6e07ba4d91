"""EPCIS capture: a whole document's events become ledger statements signed by the actor.

``capture_document`` is the one entry point behind ``POST /epcis/capture``, ``traceapp epcis
import`` and the GraphQL mutation. It runs in the caller's write transaction: with the default
``rollback`` behaviour it raises on any refused event, so the caller's rollback leaves nothing
recorded; with ``proceed`` the valid events are recorded and the refused ones reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.epcis.errors import EpcisValidationError, Issue
from traceapp.epcis.importer import HashWarning, prepare_document
from traceapp.epcis.schema import DEFAULT_MAX_BYTES, parse_document
from traceapp.errors import DomainError
from traceapp.events.errors import EventsRejected
from traceapp.events.models import CaptureJob
from traceapp.events.planning import EventPlan
from traceapp.events.services import capture_epcis_events
from traceapp.ledger_store.ids import IdSource
from traceapp.ledger_store.service import Receipt
from traceapp.ledger_store.writer import Ledger

__all__ = [
    "ERROR_BEHAVIOURS",
    "CaptureRejected",
    "CaptureResult",
    "capture_document",
    "find_capture_job",
    "save_capture_job",
]

ERROR_BEHAVIOURS = ("rollback", "proceed")
_FIELD_INDEX = re.compile(r"^events\.(\d+)(?:\.(.*))?$")


class CaptureRejected(EpcisValidationError):
    """The ledger refused some events (``rollback``): nothing was recorded."""


@dataclass
class CaptureResult:
    """What a capture did, event by event, addressed by JSON pointers into the document."""

    document_type: str
    error_behaviour: str
    total: int
    recorded: list[str] = field(default_factory=list)
    error_declared: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    failures: list[Issue] = field(default_factory=list)
    warnings: list[HashWarning] = field(default_factory=list)
    notices: list[Issue] = field(default_factory=list)  # plausibility notices (docs/rules.md)
    receipt: Receipt | None = None

    @property
    def success(self) -> bool:
        return not self.failures

    def as_json(self) -> dict[str, Any]:
        receipt = self.receipt
        return {
            "documentType": self.document_type,
            "captureErrorBehaviour": self.error_behaviour,
            "success": self.success,
            "eventCount": self.total,
            "recorded": self.recorded,
            "errorDeclared": self.error_declared,
            "duplicates": self.duplicates,
            "ledgerIndex": receipt.ledger_index if receipt else None,
            "entryCount": receipt.entry_count if receipt else 0,
            "errors": [_issue_json(i) for i in self.failures],
            "warnings": [w.as_json() for w in self.warnings],
            "notices": [_issue_json(i) for i in self.notices],
        }


def _issue_json(issue: Issue) -> dict[str, str]:
    return {"pointer": issue.pointer, "rule": issue.rule, "message": issue.message}


def _domain_issue(error: DomainError, pointers: list[str]) -> Issue:
    """A service error (``field`` like ``events.3.readPoint.id``) as a pointer into the body."""
    match = _FIELD_INDEX.match(error.field or "")
    if match is None or int(match.group(1)) >= len(pointers):
        return Issue("", error.code, error.message)
    rest = match.group(2)
    suffix = "/" + rest.replace(".", "/") if rest else ""
    return Issue(pointers[int(match.group(1))] + suffix, error.code, error.message)


def _as_document(document: bytes | str | Mapping[str, Any], max_bytes: int) -> object:
    if isinstance(document, str):
        document = document.encode("utf-8")
    if isinstance(document, bytes):
        return parse_document(document, max_bytes=max_bytes)
    return document


def capture_document(
    session: Session,
    ledger: Ledger,
    actor: str,
    document: bytes | str | Mapping[str, Any],
    *,
    error_behaviour: str = "rollback",
    idempotency_key: str | None = None,
    signature: bytes | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> CaptureResult:
    """Capture an EPCISDocument or EPCISQueryDocument (raw JSON bytes/text or parsed).

    ``actor`` is the key that signs the statements (a producer's key, or an admin's).
    Raises ``EpcisValidationError`` when the document is refused (invalid JSON, schema,
    event types ...), ``CaptureRejected`` when the ledger refuses an event under ``rollback``;
    both carry ``issues`` with JSON pointers. Other ``DomainError``s (unknown actor ...)
    propagate. The caller commits or rolls back its transaction.
    """
    if error_behaviour not in ERROR_BEHAVIOURS:
        raise ValueError(f"error_behaviour must be one of {ERROR_BEHAVIOURS}")
    proceed = error_behaviour == "proceed"
    prepared = prepare_document(_as_document(document, max_bytes), proceed=proceed)
    result = CaptureResult(
        prepared.kind,
        error_behaviour,
        prepared.total,
        failures=[issue for issues in prepared.failures.values() for issue in issues],
        warnings=prepared.warnings,
    )
    if not prepared.events:
        return result
    try:
        receipt, plans = capture_epcis_events(
            session,
            ledger,
            actor,
            prepared.events,
            proceed=proceed,
            idempotency_key=idempotency_key,
            signature=signature,
        )
    except EventsRejected as exc:
        raise CaptureRejected([_domain_issue(e, prepared.pointers) for e in exc.errors]) from None
    result.receipt = receipt
    _report(result, plans, prepared.pointers)
    return result


def _plan_issues(plans: list[EventPlan], pointers: list[str]) -> list[Issue]:
    return [_domain_issue(p.error, pointers) for p in plans if p.error is not None]


def _report(result: CaptureResult, plans: list[EventPlan], pointers: list[str]) -> None:
    for plan in plans:
        if plan.outcome == "recorded":
            result.recorded.append(str(plan.event_id))
            result.notices.extend(_domain_issue(n, pointers) for n in plan.notices)
        elif plan.outcome == "error_declared":
            result.error_declared.append(str(plan.event_id))
        elif plan.outcome == "duplicate":
            result.duplicates.append(str(plan.event_id))
    result.failures.extend(_plan_issues(plans, pointers))
    result.failures.sort()


# --------------------------------------------------------------------------------------------
# Capture jobs (EPCIS REST binding: GET /capture/{captureID})
# --------------------------------------------------------------------------------------------


def save_capture_job(
    session: Session,
    actor: str,
    error_behaviour: str,
    started: datetime,
    report: Mapping[str, Any],
    *,
    success: bool,
) -> str:
    """Keep a capture's report; returns the capture ID."""
    capture_id = IdSource().public_id("cap")
    session.add(
        CaptureJob(
            public_id=capture_id,
            actor=actor,
            created_at=started,
            finished_at=datetime.now(UTC),
            error_behaviour=error_behaviour,
            success=success,
            report=json.dumps(report, ensure_ascii=False),
        )
    )
    return capture_id


def find_capture_job(session: Session, capture_id: str) -> CaptureJob | None:
    # Public IDs are short and printable; PostgreSQL refuses a NUL in a text parameter.
    if len(capture_id) > 64 or not capture_id.isprintable():
        return None
    return session.execute(
        select(CaptureJob).where(CaptureJob.public_id == capture_id)
    ).scalar_one_or_none()
