"""Named queries and subscriptions: create, list, find, delete, with their owners.

A query belongs to the role that created it and, for a producer, to that producer: a
producer's query only ever yields (and delivers) that producer's events; admins and auditors
read every event, as ``GET /epcis/events`` does. Admins and auditors see every query; only its
owner or an admin deletes it or subscribes to it.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from traceapp.auth.services import Principal
from traceapp.epcis.schema import is_date_time
from traceapp.events.models import Event
from traceapp.events.query import EventQuery, QueryParameterError, parse_query
from traceapp.producers.models import Producer
from traceapp.subscriptions.errors import (
    InvalidQuery,
    InvalidSubscription,
    NoSuchQuery,
    NoSuchSubscription,
    NotOwner,
    QueryExists,
)
from traceapp.subscriptions.models import NamedQuery, OutboxDelivery, Subscription
from traceapp.subscriptions.schedule import parse_schedule

__all__ = [
    "check_dest",
    "create_query",
    "create_subscription",
    "delete_query",
    "delete_subscription",
    "event_query",
    "find_query",
    "find_subscription",
    "head_seq",
    "list_queries",
    "list_subscriptions",
    "query_parameters",
]

_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
# Paging belongs to each request, not to the view.
_NOT_IN_A_VIEW = ("perPage", "nextPageToken")


# --------------------------------------------------------------------------------------------
# Named queries
# --------------------------------------------------------------------------------------------


def query_parameters(body: object) -> dict[str, list[str]]:
    """The OpenAPI ``EPCISEventsQuery`` object (name -> list, string, number or true) as REST
    parameters; checked by ``parse_query`` (unknown and unsupported names are refused)."""
    if not isinstance(body, dict):
        raise InvalidQuery("query must be an object of query parameters", "query")
    params: dict[str, list[str]] = {}
    for name, value in body.items():
        if name == "@context":
            continue
        if name in _NOT_IN_A_VIEW:
            raise InvalidQuery(f"{name} is given with each request, not in a query", name)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            params[name] = ["|".join(value)] if value else []
        elif isinstance(value, bool):
            if not (value and name.startswith("EXISTS_")):
                raise InvalidQuery(f"{name}: true is only a value of EXISTS_ parameters", name)
            params[name] = [""]
        elif isinstance(value, str):
            params[name] = [value]
        elif isinstance(value, int | float):
            params[name] = [str(value)]
        else:
            raise InvalidQuery(f"{name}: give a string, a number or a list of strings", name)
    try:
        parse_query(params)
    except QueryParameterError as exc:
        raise InvalidQuery(f"{exc.parameter}: {exc.message}", exc.parameter) from None
    return params


def _may_read(principal: Principal, query: NamedQuery) -> bool:
    if principal.role in ("admin", "auditor"):
        return True
    return query.owner_role == principal.role and query.owner_producer == principal.producer


def _may_change(principal: Principal, query: NamedQuery) -> bool:
    if principal.role == "admin":
        return True
    return query.owner_role == principal.role and query.owner_producer == principal.producer


def create_query(session: Session, principal: Principal, name: object, body: object) -> NamedQuery:
    if not isinstance(name, str) or not 1 <= len(name) <= 100 or not set(name) <= _NAME_CHARS:
        message = "name: 1 to 100 letters, digits, '-', '_', '.' or '~'"
        raise InvalidQuery(message, "name")
    params = query_parameters(body)
    if session.execute(select(NamedQuery.id).where(NamedQuery.name == name)).first():
        raise QueryExists(f"a query named {name!r} exists already", "name")
    query = NamedQuery(
        name=name,
        owner_role=principal.role,
        owner_producer=principal.producer if principal.role == "producer" else None,
        parameters=json.dumps(params, ensure_ascii=False),
        created_at=datetime.now(UTC),
    )
    session.add(query)
    session.flush()
    return query


def list_queries(session: Session, principal: Principal) -> list[NamedQuery]:
    stmt = select(NamedQuery).order_by(NamedQuery.id)
    if principal.role not in ("admin", "auditor"):
        stmt = stmt.where(
            NamedQuery.owner_role == principal.role,
            NamedQuery.owner_producer == principal.producer,
        )
    return list(session.execute(stmt).scalars())


def find_query(session: Session, principal: Principal, name: str) -> NamedQuery:
    query = None
    if len(name) <= 100 and name.isprintable():
        query = session.execute(
            select(NamedQuery).where(NamedQuery.name == name)
        ).scalar_one_or_none()
    if query is None or not _may_read(principal, query):
        raise NoSuchQuery(f"no query named {name!r}", "name")
    return query


def delete_query(session: Session, principal: Principal, name: str) -> None:
    """Delete a query with its subscriptions and their outbox."""
    query = find_query(session, principal, name)
    if not _may_change(principal, query):
        raise NotOwner("only the query's owner or an admin deletes it", "name")
    subscription_ids = select(Subscription.id).where(Subscription.query_id == query.id)
    session.execute(
        delete(OutboxDelivery).where(OutboxDelivery.subscription_id.in_(subscription_ids))
    )
    session.execute(delete(Subscription).where(Subscription.query_id == query.id))
    session.delete(query)


def event_query(session: Session, query: NamedQuery, **paging: Any) -> EventQuery:
    """The query's SimpleEventQuery, limited to its producer's events for a producer's query."""
    params: dict[str, Sequence[str]] = json.loads(query.parameters)
    parsed = parse_query(params)
    if query.owner_producer is not None:
        producer_id = session.execute(
            select(Producer.id).where(Producer.public_id == query.owner_producer)
        ).scalar_one_or_none()
        parsed = replace(parsed, producer_id=producer_id if producer_id is not None else -1)
    return replace(parsed, **paging)


def head_seq(session: Session) -> int:
    """The ledger index of the latest recorded event (0 before any)."""
    return int(session.execute(select(func.max(Event.ledger_seq))).scalar_one() or 0)


# --------------------------------------------------------------------------------------------
# Subscriptions
# --------------------------------------------------------------------------------------------


def check_dest(dest: object, *, allow_private: bool) -> str:
    """An ``http(s)`` URL whose host resolves to public addresses only, unless the
    configuration allows private ones (``TRACEAPP_EPCIS_ALLOW_PRIVATE_DEST``): a subscription
    must not make the server call into its own network (SSRF)."""
    if not isinstance(dest, str) or not dest or len(dest) > 2000 or not dest.isprintable():
        raise InvalidSubscription("dest must be an http or https URL", "dest")
    parts = urlsplit(dest)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidSubscription("dest must be an http or https URL", "dest")
    if parts.username or parts.password:
        raise InvalidSubscription("dest must not carry credentials", "dest")
    if allow_private:
        return dest
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError):
        raise InvalidSubscription("dest: the host does not resolve", "dest") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global:
            raise InvalidSubscription(
                f"dest: {parts.hostname} is a private, loopback or reserved address", "dest"
            )
    return dest


def _bool(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise InvalidSubscription(f"{name} must be true or false", name)
    return value


def _initial_seq(session: Session, raw: object) -> tuple[datetime | None, int]:
    """Where delivery starts: after the events recorded so far, or, with
    ``initialRecordTime``, after those recorded before that time."""
    if raw is None:
        return None, head_seq(session)
    if not isinstance(raw, str) or not is_date_time(raw):
        message = "initialRecordTime must be an RFC 3339 date-time with a time zone"
        raise InvalidSubscription(message, "initialRecordTime")
    moment = datetime.fromisoformat(raw.upper().replace("Z", "+00:00")).astimezone(UTC)
    before = session.execute(
        select(func.max(Event.ledger_seq)).where(Event.record_time < moment)
    ).scalar_one()
    return moment, int(before or 0)


def create_subscription(
    session: Session,
    principal: Principal,
    query: NamedQuery,
    body: object,
    *,
    allow_private: bool,
) -> Subscription:
    if not _may_change(principal, query):
        raise NotOwner("only the query's owner or an admin subscribes to it", "queryName")
    if not isinstance(body, dict):
        raise InvalidSubscription("the body must be a JSON object", "")
    known = {"dest", "signatureToken", "stream", "schedule", "reportIfEmpty", "initialRecordTime"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise InvalidSubscription(f"{unknown[0]} is not a subscription field", unknown[0])
    dest = check_dest(body.get("dest"), allow_private=allow_private)
    secret = body.get("signatureToken")
    if secret is not None and (not isinstance(secret, str) or not 16 <= len(secret) <= 500):
        raise InvalidSubscription(
            "signatureToken: a string of 16 to 500 characters", "signatureToken"
        )
    stream = _bool(body, "stream")
    report_if_empty = _bool(body, "reportIfEmpty")
    raw_schedule = body.get("schedule")
    if stream == (raw_schedule is not None):
        message = "give either stream: true or a schedule (exactly one of them)"
        raise InvalidSubscription(message, "stream")
    now = datetime.now(UTC)
    next_run = None
    if raw_schedule is not None:
        next_run = parse_schedule(raw_schedule).next_after(now)
    elif report_if_empty:
        raise InvalidSubscription(
            "reportIfEmpty applies to scheduled subscriptions", "reportIfEmpty"
        )
    initial_time, initial_seq = _initial_seq(session, body.get("initialRecordTime"))
    subscription = Subscription(
        public_id=f"sub_{secrets.token_urlsafe(18)}",
        query_id=query.id,
        dest=dest,
        secret=secret,
        stream=stream,
        schedule=json.dumps(raw_schedule) if raw_schedule is not None else None,
        report_if_empty=report_if_empty,
        initial_record_time=initial_time,
        planned_seq=initial_seq,
        next_run_at=next_run,
        created_at=now,
    )
    session.add(subscription)
    session.flush()
    return subscription


def list_subscriptions(session: Session, query: NamedQuery) -> list[Subscription]:
    return list(
        session.execute(
            select(Subscription).where(Subscription.query_id == query.id).order_by(Subscription.id)
        ).scalars()
    )


def find_subscription(session: Session, query: NamedQuery, public_id: str) -> Subscription:
    subscription = None
    if len(public_id) <= 40 and public_id.isprintable():
        subscription = session.execute(
            select(Subscription).where(
                Subscription.public_id == public_id, Subscription.query_id == query.id
            )
        ).scalar_one_or_none()
    if subscription is None:
        raise NoSuchSubscription(f"no subscription {public_id!r} on this query", "subscriptionID")
    return subscription


def delete_subscription(
    session: Session, principal: Principal, query: NamedQuery, public_id: str
) -> None:
    subscription = find_subscription(session, query, public_id)
    if not _may_change(principal, query):
        raise NotOwner("only the query's owner or an admin unsubscribes", "subscriptionID")
    session.execute(delete(OutboxDelivery).where(OutboxDelivery.subscription_id == subscription.id))
    session.delete(subscription)
