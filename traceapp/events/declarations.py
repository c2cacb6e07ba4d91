"""EPCIS error declarations: the statement that retracts an event, and who may make it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.events.errors import CorrectionForbidden, EventInvalid
from traceapp.events.projections import error_reason
from traceapp.ledger_store.writer import Draft, Ledger
from traceapp.producers.models import Producer
from traceapp.validation import format_event_time


def declaration_statement(
    event_id: str,
    declared_at: str,
    reason: str | None,
    corrective_event_ids: Sequence[str],
    declaration: dict[str, Any] | None = None,
) -> Draft:
    statement: dict[str, Any] = {
        "event_id": event_id,
        "declared_at": declared_at,
        "reason": reason,
        "corrective_event_ids": list(corrective_event_ids),
    }
    if declaration is not None:  # an imported errorDeclaration, kept whole (extensions too)
        statement["declaration"] = declaration
    return Draft("event.error_declared", statement)


def imported_declaration(event: dict[str, Any], index: int) -> Draft:
    declaration = event["errorDeclaration"]
    where = f"events.{index}.errorDeclaration"
    if not isinstance(declaration, dict):
        raise EventInvalid("must be an object", field=where)
    try:
        moment = datetime.fromisoformat(str(declaration.get("declarationTime")))
    except ValueError:
        raise EventInvalid(
            "must be an RFC 3339 date-time", field=f"{where}.declarationTime"
        ) from None
    declared_at, _zone = format_event_time(moment)
    corrective = declaration.get("correctiveEventIDs") or []
    if not isinstance(corrective, list) or not all(isinstance(c, str) for c in corrective):
        raise EventInvalid("must be a list of URIs", field=f"{where}.correctiveEventIDs")
    reason = error_reason(declaration.get("reason"))
    return declaration_statement(event["eventID"], declared_at, reason, corrective, declaration)


class Corrector:
    """Who may declare an error on a recorded event: its producer, or an admin.

    An event recorded without a producer (by an admin, or imported) is the admin's to correct.
    """

    def __init__(self, session: Session, ledger: Ledger, actor: str) -> None:
        key = ledger.role_of(session, actor)
        self.is_admin = key.role == "admin"
        self.producer_id = (
            session.execute(
                select(Producer.id).where(Producer.public_id == key.producer_public_id)
            ).scalar_one_or_none()
            if key.producer_public_id
            else None
        )

    def check(self, owner_id: int | None, field_name: str) -> None:
        if self.is_admin or (owner_id is not None and owner_id == self.producer_id):
            return
        raise CorrectionForbidden("only the event's producer may correct it", field=field_name)
