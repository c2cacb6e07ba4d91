"""EPCIS 2.0 SimpleEventQuery over the recorded events (REST binding query parameters).

``parse_query`` reads the REST parameters (``eventType``, ``GE_eventTime``, ``EQ_bizStep``,
``MATCH_epc`` ...; lists are pipe-delimited or repeated) and ``run_query`` returns one page of
events in record order with an opaque ``nextPageToken``. Events come back as recorded, plus the
repository's ``recordTime`` and, when a later statement retracted them, their
``errorDeclaration``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ledger.fast.scanner import parse_entry
from traceapp.epcis.errors import EpcisError
from traceapp.epcis.exporter import format_time
from traceapp.epcis.schema import EVENT_TYPES, is_date_time
from traceapp.events.models import Event, EventEpc
from traceapp.events.projections import short_cbv, stored_epc
from traceapp.ledger_store.models import LedgerEntry

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_PER_PAGE",
    "EventQuery",
    "Page",
    "QueryParameterError",
    "iter_all",
    "parse_query",
    "run_query",
]

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000

# MATCH_ parameter -> the event_epcs roles it searches (EPCIS 2.0 section 8.2.7.1).
# A class URI never equals an instance URI, so the shared "child" role needs no split.
MATCH_ROLES: Mapping[str, tuple[str, ...]] = {
    "MATCH_epc": ("epc", "child"),
    "MATCH_parentID": ("parent",),
    "MATCH_inputEPC": ("input",),
    "MATCH_outputEPC": ("output",),
    "MATCH_anyEPC": ("epc", "parent", "child", "input", "output"),
    "MATCH_epcClass": ("quantity", "child"),
    "MATCH_inputEPCClass": ("input",),
    "MATCH_outputEPCClass": ("output",),
    "MATCH_anyEPCClass": ("quantity", "child", "input", "output"),
}
TIME_PARAMETERS = ("GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime")
LIST_PARAMETERS = (
    "eventType",
    "EQ_action",
    "EQ_bizStep",
    "EQ_disposition",
    "EQ_readPoint",
    "EQ_bizLocation",
    "EQ_eventID",
    *MATCH_ROLES,
)
OTHER_PARAMETERS = ("EXISTS_errorDeclaration", "perPage", "nextPageToken")
SUPPORTED_PARAMETERS = frozenset((*TIME_PARAMETERS, *LIST_PARAMETERS, *OTHER_PARAMETERS))


class QueryParameterError(EpcisError):
    """A query parameter we cannot honour (EPCIS ``QueryParameterException``)."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter, self.message = parameter, message
        super().__init__(f"{parameter}: {message}")


@dataclass(frozen=True)
class EventQuery:
    """A SimpleEventQuery; empty tuples and None mean "no restriction"."""

    event_types: tuple[str, ...] = ()
    ge_event_time: datetime | None = None
    lt_event_time: datetime | None = None
    ge_record_time: datetime | None = None
    lt_record_time: datetime | None = None
    actions: tuple[str, ...] = ()
    biz_steps: tuple[str, ...] = ()
    dispositions: tuple[str, ...] = ()
    read_points: tuple[str, ...] = ()
    biz_locations: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()
    matches: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (MATCH_ parameter, EPCs)
    exists_error_declaration: bool = False
    per_page: int = DEFAULT_PER_PAGE
    after_seq: int | None = None  # from nextPageToken
    upto_seq: int | None = None  # a delivery's range: ledger index at most this
    producer_id: int | None = None  # a producer's own events only (named queries, deliveries)


@dataclass
class Page:
    events: list[dict[str, Any]] = field(default_factory=list)
    next_token: str | None = None
    seqs: list[int] = field(default_factory=list)  # each event's ledger index


def _values(params: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...]:
    out: list[str] = []
    for raw in params.get(name, ()):
        out.extend(v for v in raw.split("|") if v)
    return tuple(out)


def _single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = list(params.get(name, ()))
    if len(values) > 1:
        raise QueryParameterError(name, "give this parameter once")
    return values[0] if values else None


def _time(params: Mapping[str, Sequence[str]], name: str) -> datetime | None:
    raw = _single(params, name)
    if raw is None:
        return None
    if not is_date_time(raw):
        raise QueryParameterError(name, "must be an RFC 3339 date-time with a time zone")
    return datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))


def _per_page(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PER_PAGE
    # Length first: int() refuses (ValueError) strings of over 4,300 digits.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not 1 <= int(raw) <= MAX_PER_PAGE:
        raise QueryParameterError("perPage", f"must be an integer from 1 to {MAX_PER_PAGE}")
    return int(raw)


def encode_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def _decode_token(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    kind, _, seq = text.partition(":")
    if kind != "seq" or not (seq.isascii() and seq.isdigit()) or len(seq) > 18:
        raise QueryParameterError("nextPageToken", "not a token this server issued")
    return int(seq)


def parse_query(params: Mapping[str, Sequence[str]]) -> EventQuery:
    """Read REST binding query parameters (name -> every value given) into an ``EventQuery``."""
    unknown = sorted(set(params) - SUPPORTED_PARAMETERS)
    if unknown:
        raise QueryParameterError(unknown[0], "is not a supported query parameter")
    event_types = _values(params, "eventType")
    for kind in event_types:
        if kind not in EVENT_TYPES:
            raise QueryParameterError("eventType", f"unknown event type {kind!r}")
    exists = _single(params, "EXISTS_errorDeclaration")
    if exists not in (None, "", "true"):
        raise QueryParameterError("EXISTS_errorDeclaration", "takes no value")
    return EventQuery(
        event_types=event_types,
        ge_event_time=_time(params, "GE_eventTime"),
        lt_event_time=_time(params, "LT_eventTime"),
        ge_record_time=_time(params, "GE_recordTime"),
        lt_record_time=_time(params, "LT_recordTime"),
        actions=_values(params, "EQ_action"),
        biz_steps=tuple(str(short_cbv(v)) for v in _values(params, "EQ_bizStep")),
        dispositions=tuple(str(short_cbv(v)) for v in _values(params, "EQ_disposition")),
        read_points=_values(params, "EQ_readPoint"),
        biz_locations=_values(params, "EQ_bizLocation"),
        event_ids=_values(params, "EQ_eventID"),
        matches=tuple(
            (name, tuple(stored_epc(v) for v in values))
            for name in MATCH_ROLES
            if (values := _values(params, name))
        ),
        exists_error_declaration=exists is not None,
        per_page=_per_page(_single(params, "perPage")),
        after_seq=_decode_token(_single(params, "nextPageToken")),
    )


def _statement(query: EventQuery) -> Select[tuple[Event]]:
    stmt = select(Event)
    columns: Iterable[tuple[Any, tuple[str, ...]]] = (
        (Event.type, query.event_types),
        (Event.action, query.actions),
        (Event.biz_step, query.biz_steps),
        (Event.disposition, query.dispositions),
        (Event.read_point, query.read_points),
        (Event.biz_location, query.biz_locations),
        (Event.event_id, query.event_ids),
    )
    for column, values in columns:
        if values:
            stmt = stmt.where(column.in_(values))
    for column, bound, lower in (
        (Event.event_time, query.ge_event_time, True),
        (Event.event_time, query.lt_event_time, False),
        (Event.record_time, query.ge_record_time, True),
        (Event.record_time, query.lt_record_time, False),
    ):
        if bound is not None:
            stmt = stmt.where(column >= bound if lower else column < bound)
    for name, epcs in query.matches:
        touching = select(EventEpc.event_seq).where(
            EventEpc.role.in_(MATCH_ROLES[name]), EventEpc.epc.in_(epcs)
        )
        stmt = stmt.where(Event.ledger_seq.in_(touching))
    if query.exists_error_declaration:
        stmt = stmt.where(Event.error_declared_seq.is_not(None))
    if query.after_seq is not None:
        stmt = stmt.where(Event.ledger_seq > query.after_seq)
    if query.upto_seq is not None:
        stmt = stmt.where(Event.ledger_seq <= query.upto_seq)
    if query.producer_id is not None:
        stmt = stmt.where(Event.producer_id == query.producer_id)
    return stmt.order_by(Event.ledger_seq)


def _declarations(session: Session, origin: str, seqs: set[int]) -> dict[int, dict[str, Any]]:
    """The errorDeclaration objects of ``event.error_declared`` entries, by entry index."""
    if not seqs:
        return {}
    rows = session.execute(
        select(LedgerEntry.seq, LedgerEntry.entry).where(
            LedgerEntry.log == origin, LedgerEntry.seq.in_(seqs)
        )
    )
    out: dict[int, dict[str, Any]] = {}
    for seq, data in rows:
        s = parse_entry(data).statement
        declaration = s.get("declaration")
        if not isinstance(declaration, dict):
            declaration = {"declarationTime": s["declared_at"]}
            if s.get("reason"):
                declaration["reason"] = s["reason"]
            if s.get("corrective_event_ids"):
                declaration["correctiveEventIDs"] = s["corrective_event_ids"]
        out[seq] = declaration
    return out


def render(session: Session, origin: str, rows: Sequence[Event]) -> list[dict[str, Any]]:
    """Events as EPCIS JSON: the recorded event plus recordTime and a later errorDeclaration."""
    later = {
        r.error_declared_seq
        for r in rows
        if r.error_declared_seq is not None and r.error_declared_seq != r.ledger_seq
    }
    declarations = _declarations(session, origin, {s for s in later if s is not None})
    events = []
    for row in rows:
        event: dict[str, Any] = json.loads(row.document)
        event["recordTime"] = format_time(row.record_time)
        declared = row.error_declared_seq
        if declared in declarations and "errorDeclaration" not in event:
            event["errorDeclaration"] = declarations[declared]
        events.append(event)
    return events


def run_query(session: Session, origin: str, query: EventQuery) -> Page:
    """One page of matching events, in the order the ledger recorded them."""
    rows = list(session.execute(_statement(query).limit(query.per_page + 1)).scalars())
    more = len(rows) > query.per_page
    rows = rows[: query.per_page]
    token = encode_token(rows[-1].ledger_seq) if more and rows else None
    return Page(render(session, origin, rows), token, [row.ledger_seq for row in rows])


def iter_all(session: Session, origin: str, query: EventQuery) -> Iterable[dict[str, Any]]:
    """Every matching event, page by page (exports)."""
    query = replace(query, per_page=MAX_PER_PAGE)
    while True:
        page = run_query(session, origin, query)
        yield from page.events
        if page.next_token is None:
            return
        query = replace(query, after_seq=_decode_token(page.next_token))
