"""Event use cases: record one event, many, EPCIS events as given; declare an error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.events.building import (
    EventInput,
    Resolver,
    build_epcis_event,
    cbv_uri,
)
from traceapp.events.declarations import Corrector, declaration_statement
from traceapp.events.errors import (
    ErrorAlreadyDeclared,
    EventExists,
    EventInvalid,
    EventNotFound,
    EventNotice,
    EventsRejected,
)
from traceapp.events.models import Event
from traceapp.events.planning import (
    EventPlan,
    drafts_of,
    new_event_drafts,
    plan_epcis_events,
)
from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Draft, Ledger

MAX_EVENTS_PER_REQUEST = 10_000


@dataclass(frozen=True)
class Recorded:
    """A write of events and the plausibility rules' notices on them (``docs/rules.md``):
    steps that may be right but look odd. None on a replayed request (nothing was planned)."""

    receipt: Receipt | None
    notices: tuple[EventNotice, ...] = ()


def plan_record_event(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    data: EventInput,
    *,
    notices: list[EventNotice] | None = None,
) -> list[Draft]:
    """The event's ``event.recorded``; ``notices``, when given, receives the rules' notices."""
    resolver = Resolver(session, ledger, request.actor)
    resolver.prefetch([data])
    event = build_epcis_event(resolver, data)
    plans = plan_epcis_events(
        session, ledger, request.actor, request.ids(ledger), [event], resolver.owners
    )
    drafts = drafts_of(plans)
    if not drafts:
        raise EventExists("this event is already recorded", field="event")
    if notices is not None:
        notices[:] = [n for plan in plans for n in plan.notices]
    return drafts


def record_event(
    session: Session,
    ledger: Ledger,
    actor: str,
    data: EventInput,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, signature)
    return record_event_as(session, ledger, request, data)


def record_event_noticed(
    session: Session,
    ledger: Ledger,
    actor: str,
    data: EventInput,
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Recorded:
    """``record_event`` with the plausibility rules' notices on the event."""
    request = WriteRequest(actor, idempotency_key, signature)
    return record_event_as_noticed(session, ledger, request, data)


def record_event_as(
    session: Session, ledger: Ledger, request: WriteRequest, data: EventInput
) -> Receipt:
    """``record_event`` for a prepared request (the console's, naming its member)."""
    receipt = record_event_as_noticed(session, ledger, request, data).receipt
    assert receipt is not None
    return receipt


def record_event_as_noticed(
    session: Session, ledger: Ledger, request: WriteRequest, data: EventInput
) -> Recorded:
    """``record_event_as`` with the plausibility rules' notices on the event."""
    notices: list[EventNotice] = []
    receipt = perform(
        session,
        ledger,
        request,
        lambda: plan_record_event(session, ledger, request, data, notices=notices),
        op={"op": "record_event", **data.__dict__},
    )
    return Recorded(receipt, tuple(notices))


def record_events(
    session: Session,
    ledger: Ledger,
    actor: str,
    events: Sequence[EventInput],
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt | None:
    """Bulk: thousands of events in one transaction. None when every event was known."""
    return record_events_noticed(
        session, ledger, actor, events, idempotency_key=idempotency_key, signature=signature
    ).receipt


def record_events_noticed(
    session: Session,
    ledger: Ledger,
    actor: str,
    events: Sequence[EventInput],
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Recorded:
    """``record_events`` with the plausibility rules' notices on the events, in order."""
    if not 1 <= len(events) <= MAX_EVENTS_PER_REQUEST:
        raise EventInvalid(f"send 1 to {MAX_EVENTS_PER_REQUEST} events", field="events")
    resolver = Resolver(session, ledger, actor)
    resolver.prefetch(events)
    documents = [build_epcis_event(resolver, e) for e in events]
    receipt, plans = capture_epcis_events(
        session,
        ledger,
        actor,
        documents,
        idempotency_key=idempotency_key,
        signature=signature,
        known_owners=resolver.owners,
    )
    return Recorded(receipt, _notices(plans))


def _notices(plans: Sequence[EventPlan]) -> tuple[EventNotice, ...]:
    return tuple(n for plan in plans for n in plan.notices)


def record_epcis_events(
    session: Session,
    ledger: Ledger,
    actor: str,
    events: Sequence[dict[str, Any]],
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt | None:
    """Record EPCIS 2.0 event objects as given (capture, import), all or nothing.

    Known eventIDs are skipped (errorDeclarations on them become ``event.error_declared``);
    None when nothing was new. Raises ``EventsRejected`` listing every refused event.
    """
    return record_epcis_events_noticed(
        session, ledger, actor, events, idempotency_key=idempotency_key, signature=signature
    ).receipt


def record_epcis_events_noticed(
    session: Session,
    ledger: Ledger,
    actor: str,
    events: Sequence[dict[str, Any]],
    *,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Recorded:
    """``record_epcis_events`` with the plausibility rules' notices on the events, in order."""
    receipt, plans = capture_epcis_events(
        session, ledger, actor, events, idempotency_key=idempotency_key, signature=signature
    )
    return Recorded(receipt, _notices(plans))


def capture_epcis_events(
    session: Session,
    ledger: Ledger,
    actor: str,
    events: Sequence[dict[str, Any]],
    *,
    proceed: bool = False,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
    known_owners: Mapping[str, str] | None = None,
) -> tuple[Receipt | None, list[EventPlan]]:
    """Like ``record_epcis_events`` but returns each event's plan; with ``proceed`` the valid
    events are recorded and the refused ones only reported (EPCIS capture error behaviour).

    The plans are empty when an idempotency key replays an earlier request.
    """
    request = WriteRequest(actor, idempotency_key, signature)
    plans: list[EventPlan] = []

    def build() -> Sequence[Draft]:
        plans[:] = plan_epcis_events(
            session, ledger, actor, request.ids(ledger), events, known_owners
        )
        failures = [p for p in plans if p.outcome == "rejected"]
        if failures and not proceed:
            raise EventsRejected([f.error for f in failures if f.error is not None])
        drafts = [p.draft for p in plans if p.draft is not None]
        if not drafts:
            raise _NothingNew
        return drafts

    try:
        receipt = perform(
            session,
            ledger,
            request,
            build,
            op={"op": "record_epcis_events", "events": list(events), "proceed": proceed},
            ids_of=_statement_ids,
        )
    except _NothingNew:
        return None, plans
    return receipt, plans


class _NothingNew(Exception):
    pass


def _statement_ids(drafts: Sequence[Draft]) -> list[str]:
    """Receipt IDs: a recorded event's public ID, a declaration's eventID."""
    return [str(d.statement.get("id", d.statement.get("event_id"))) for d in drafts]


def plan_declare_error(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    event_id: str,
    reason: str,
    corrective: Sequence[EventInput] = (),
    *,
    declared_at: datetime | None = None,
) -> list[Draft]:
    old = session.execute(select(Event).where(Event.event_id == event_id)).scalar_one_or_none()
    if old is None:
        raise EventNotFound(f"no event {event_id}", field="eventId")
    if old.error_declared_seq is not None:
        raise ErrorAlreadyDeclared("an error was already declared for this event", field="eventId")
    Corrector(session, ledger, request.actor).check(old.producer_id, "eventId")
    resolver = Resolver(session, ledger, request.actor)
    fixes = new_event_drafts(
        session,
        ledger,
        request.actor,
        request.ids(ledger),
        [build_epcis_event(resolver, e) for e in corrective],
        resolver.owners,
    )
    when, _zone = v.format_event_time(declared_at or datetime.now(UTC))
    declaration = declaration_statement(
        event_id,
        when,
        cbv_uri("ER", v.required_text(reason, "reason", max_length=200), "reason"),
        [d.statement["event"]["eventID"] for d in fixes],
    )
    return [*fixes, declaration]


def declare_error(
    session: Session,
    ledger: Ledger,
    actor: str,
    event_id: str,
    reason: str,
    corrective: Sequence[EventInput] = (),
    *,
    declared_at: datetime | None = None,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    """EPCIS errorDeclaration: the old event stays; a new statement retracts it, and the
    corrective events are recorded with ``correctiveEventIDs`` pointing to them."""
    request = WriteRequest(actor, idempotency_key, signature)
    return declare_error_as(
        session, ledger, request, event_id, reason, corrective, declared_at=declared_at
    )


def declare_error_as(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    event_id: str,
    reason: str,
    corrective: Sequence[EventInput] = (),
    *,
    declared_at: datetime | None = None,
) -> Receipt:
    """``declare_error`` for a prepared request (the console's, naming its member)."""
    return perform(
        session,
        ledger,
        request,
        lambda: plan_declare_error(
            session, ledger, request, event_id, reason, corrective, declared_at=declared_at
        ),
        op={"op": "declare_error", "event": event_id, "reason": reason},
        ids_of=_statement_ids,
    )
