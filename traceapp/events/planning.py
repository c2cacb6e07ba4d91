"""Capture planning: what each submitted EPCIS event becomes, decided in order, all at once.

The one planner behind every event write (``recordEvent``, bulk, capture, import, corrective
events): eventIDs computed or checked, storability checked, known events looked up together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from ledger.entry import MAX_ENTRY_SIZE
from ledger.errors import FormatError
from ledger.jcs import canonicalize
from traceapp import validation as v
from traceapp.db.statements import Prepared, bound_connection
from traceapp.epcis.errors import EpcisError
from traceapp.epcis.event_hash import event_hash
from traceapp.epcis.schema import EVENT_TYPES
from traceapp.errors import DomainError
from traceapp.events.declarations import Corrector, imported_declaration
from traceapp.events.errors import EventInvalid, EventNotice
from traceapp.events.models import Event
from traceapp.events.ownership import Ownership
from traceapp.events.plausibility import ItemRules, check_event_time
from traceapp.events.projections import error_reason, event_epcs
from traceapp.events.vocabulary import check_event_vocabulary
from traceapp.ledger_store.ids import IdSource
from traceapp.ledger_store.writer import Draft, Ledger

_OFFSET = re.compile(r"^[+-](0\d|1[0-4]):[0-5]\d$")


def check_epcis_event(event: dict[str, Any], index: int) -> dict[str, Any]:
    """Minimal structural checks of an event dict; the full GS1 schema runs on documents."""
    where = f"events.{index}"
    if not isinstance(event, dict):
        raise EventInvalid("must be an object", field=where)
    if event.get("type") not in EVENT_TYPES:
        raise EventInvalid(f"type must be one of {', '.join(EVENT_TYPES)}", field=f"{where}.type")
    time = event.get("eventTime")
    zone = event.get("eventTimeZoneOffset")
    if not isinstance(zone, str) or not _OFFSET.match(zone):
        raise EventInvalid("must be ±HH:MM", field=f"{where}.eventTimeZoneOffset")
    try:
        parsed = datetime.fromisoformat(str(time).replace("Z", "+00:00"))
    except ValueError:
        raise EventInvalid("must be an RFC 3339 date-time", field=f"{where}.eventTime") from None
    v.moment(parsed, f"{where}.eventTime")
    return event


def _with_event_id(event: dict[str, Any], index: int) -> dict[str, Any]:
    """The event with its eventID: the sender's when present, else our CBV 2.0 hash.

    A present eventID is kept as given (EPCIS lets the capturing application choose it, and
    GS1's own examples carry hashes of an older draft); callers that want the mismatch reported
    check it with ``traceapp.epcis.event_hash.check_event_id`` before calling.
    """
    present = event.get("eventID")
    if present is not None:
        if not isinstance(present, str) or ":" not in present:
            raise EventInvalid("must be a URI", field=f"events.{index}.eventID")
        return event
    try:
        return {**event, "eventID": event_hash(event)}
    except EpcisError as exc:
        raise EventInvalid(str(exc), field=f"events.{index}.eventID") from None


# Column widths of the events tables (models.py): longer values are refused up front, so one
# odd event fails alone instead of aborting the whole transaction on PostgreSQL.
_MAX_EPC = 300
_MAX_VOCABULARY = 200
# Room left in a ledger entry (65,535 bytes) for everything but the statement.
_ENTRY_OVERHEAD = 1024


def _check_storable(event: dict[str, Any], index: int) -> None:
    where = f"events.{index}"
    if len(event["eventID"]) > 200:
        raise EventInvalid("at most 200 characters", field=f"{where}.eventID")
    for key in ("bizStep", "disposition"):
        value = event.get(key)
        if isinstance(value, str):
            if len(value) > _MAX_VOCABULARY:
                raise EventInvalid(f"at most {_MAX_VOCABULARY} characters", field=f"{where}.{key}")
            v.refuse_invisible(value, f"{where}.{key}")  # shown on pages, as names are
    for key in ("readPoint", "bizLocation"):
        value = (event.get(key) or {}).get("id")
        if isinstance(value, str):
            if len(value) > _MAX_EPC:
                raise EventInvalid(f"at most {_MAX_EPC} characters", field=f"{where}.{key}.id")
            v.refuse_invisible(value, f"{where}.{key}.id")
    for key in ("sourceList", "destinationList"):
        for n, entry in enumerate(event.get(key) or ()):
            for value in entry.values() if isinstance(entry, dict) else ():
                if isinstance(value, str):
                    v.refuse_invisible(value, f"{where}.{key}.{n}")
    declaration = event.get("errorDeclaration")
    if isinstance(declaration, dict):
        reason = error_reason(declaration.get("reason")) or ""
        if len(reason) > 200:
            raise EventInvalid("at most 200 characters", field=f"{where}.errorDeclaration.reason")
        v.refuse_invisible(reason, f"{where}.errorDeclaration.reason")  # shown as the correction
    for role, epc in event_epcs(event):
        if not isinstance(epc, str) or len(epc) > _MAX_EPC:
            raise EventInvalid(
                f"EPCs are URIs of at most {_MAX_EPC} characters", field=f"{where}.{role}"
            )
    try:
        size = len(canonicalize(event))
    except FormatError:  # a number canonical JSON cannot hold (2^64, NaN): every door's check
        raise EventInvalid(
            "numbers must be finite and within ±(2^53 - 1) (I-JSON, RFC 7493)", field=where
        ) from None
    if size > MAX_ENTRY_SIZE - _ENTRY_OVERHEAD:
        raise EventInvalid(
            f"the event is {size} bytes as canonical JSON; a ledger entry holds at most "
            f"{MAX_ENTRY_SIZE - _ENTRY_OVERHEAD} bytes of event",
            field=where,
        )


@dataclass(frozen=True)
class EventPlan:
    """What one submitted EPCIS event becomes: a statement, nothing (already known) or an error.

    ``outcome`` is ``recorded`` (an ``event.recorded`` statement), ``error_declared`` (its
    eventID is recorded and it carries an ``errorDeclaration``: an ``event.error_declared``
    statement), ``duplicate`` (nothing to append) or ``rejected`` (``error`` says why).
    ``notices`` are the plausibility rules' remarks on a recorded event (``docs/rules.md``).
    """

    index: int
    event_id: str | None
    outcome: str
    draft: Draft | None = None
    error: DomainError | None = None
    notices: tuple[EventNotice, ...] = ()


def _known_events(session: Session, event_ids: Sequence[str]) -> dict[str, tuple[int | None, bool]]:
    """eventID -> (producer row id, error already declared) for the recorded ones."""
    known: dict[str, tuple[int | None, bool]] = {}
    unique = list(dict.fromkeys(event_ids))
    by_array = len(unique) > 1 and bound_connection(session).dialect.name == "postgresql"
    step = 5000 if by_array else 500
    for start in range(0, len(unique), step):
        chunk = unique[start : start + step]
        rows: Sequence[Any]
        if len(chunk) == 1:  # a single-event write
            rows = _KNOWN_EVENT.all(session, {"id": chunk[0]})
        elif by_array:
            rows = _KNOWN_EVENTS_PG.tuples(session, {"ids": chunk})
        else:
            rows = session.execute(_KNOWN_EVENTS, {"ids": chunk}).all()
        known.update((eid, (producer, declared is not None)) for eid, producer, declared in rows)
    return known


_EVENTS = Event.__table__
_KNOWN = select(_EVENTS.c.event_id, _EVENTS.c.producer_id, _EVENTS.c.error_declared_seq)
_KNOWN_EVENTS = _KNOWN.where(_EVENTS.c.event_id.in_(bindparam("ids", expanding=True)))
_KNOWN_EVENT = Prepared(_KNOWN.where(_EVENTS.c.event_id == bindparam("id")))
# PostgreSQL: one index probe an eventID, whatever the planner's statistics say. With none yet
# (a fresh or fast-growing table) it takes a long IN list to match most rows and scans
# ``events`` comparing each row with each ID (0.9 s of a 1,000-event append at 30,000 events).
# The LIMIT keeps the lateral subquery from being flattened into a join it could hash.
_KNOWN_EVENTS_PG = Prepared(
    text(
        "SELECT e.event_id, e.producer_id, e.error_declared_seq "
        "FROM unnest(CAST(:ids AS varchar[])) AS k(id) CROSS JOIN LATERAL "
        "(SELECT event_id, producer_id, error_declared_seq FROM events "
        "WHERE events.event_id = k.id LIMIT 1) AS e"
    )
)


def plan_epcis_events(
    session: Session,
    ledger: Ledger,
    actor: str,
    ids: IdSource,
    events: Sequence[dict[str, Any]],
    known_owners: Mapping[str, str] | None = None,
) -> list[EventPlan]:
    """Decide, event by event and in order, what a capture appends.

    A new eventID becomes ``event.recorded`` (with its errorDeclaration, if any, as received)
    if the actor may name every object in it (``Ownership``); a recorded eventID appends
    nothing, unless the event carries an errorDeclaration and none was declared yet: then it
    becomes ``event.error_declared`` (append-only correction, if the actor may retract it).
    ``known_owners`` (GTIN -> producer) saves reading owners the caller has read already.
    A new event must also pass the plausibility rules (``events.plausibility``, CBV names),
    checked against the items' state as the events before it in the list leave it.
    """
    key = ledger.role_of(session, actor)
    producer = key.producer_public_id
    checked: list[dict[str, Any] | DomainError] = []
    for n, raw in enumerate(events):
        try:
            event = _with_event_id(check_epcis_event(raw, n), n)
            _check_storable(event, n)
            checked.append(event)
        except DomainError as exc:
            checked.append(exc)
    known = _known_events(session, [e["eventID"] for e in checked if isinstance(e, dict)])
    new = [e for e in checked if isinstance(e, dict) and e["eventID"] not in known]
    ownership = Ownership(actor, key)
    ownership.load(session, new, known_owners)
    rules = ItemRules()
    rules.load(session, new)
    now = datetime.now(UTC)
    corrector: Corrector | None = None
    declared = {eid for eid, (_owner, is_declared) in known.items() if is_declared}
    recorded_here: set[str] = set()  # the actor's own events, whoever it is
    plans: list[EventPlan] = []
    for n, item in enumerate(checked):
        if isinstance(item, DomainError):
            plans.append(EventPlan(n, None, "rejected", error=item))
            continue
        event = item
        eid = event["eventID"]
        has_declaration = "errorDeclaration" in event
        if eid not in known:
            try:
                check_event_vocabulary(event, n)
                check_event_time(event, n, now, ledger.clock_skew)
                ownership.check(event, n)
                notices = rules.check(event, n)
            except DomainError as exc:
                plans.append(EventPlan(n, eid, "rejected", error=exc))
                continue
            rules.apply(event)
            known[eid] = (None, has_declaration)
            recorded_here.add(eid)
            if has_declaration:
                declared.add(eid)
            statement = {"id": ids.public_id("evt"), "producer": producer, "event": event}
            draft = Draft("event.recorded", statement)
            plans.append(EventPlan(n, eid, "recorded", draft, notices=tuple(notices)))
            continue
        if not has_declaration or eid in declared:
            plans.append(EventPlan(n, eid, "duplicate"))
            continue
        try:
            if eid not in recorded_here:
                corrector = corrector or Corrector(session, ledger, actor)
                corrector.check(known[eid][0], f"events.{n}.errorDeclaration")
            draft = imported_declaration(event, n)
        except DomainError as exc:
            plans.append(EventPlan(n, eid, "rejected", error=exc))
            continue
        declared.add(eid)
        plans.append(EventPlan(n, eid, "error_declared", draft))
    return plans


def new_event_drafts(
    session: Session,
    ledger: Ledger,
    actor: str,
    ids: IdSource,
    events: Sequence[dict[str, Any]],
    known_owners: Mapping[str, str] | None = None,
) -> list[Draft]:
    """Events we built ourselves: one ``event.recorded`` per new eventID, known ones skipped;
    the first refused event raises its error."""
    return drafts_of(plan_epcis_events(session, ledger, actor, ids, events, known_owners))


def drafts_of(plans: Sequence[EventPlan]) -> list[Draft]:
    """The plans' statements; the first refused event raises its error."""
    for plan in plans:
        if plan.error is not None:
            raise plan.error
    return [plan.draft for plan in plans if plan.draft is not None]
