"""EPCIS 2.0 REST named queries and their webhook subscriptions (docs/epcis.md).

Every route needs a bearer token: a producer's queries yield that producer's events only, and
only their owner (or an admin) deletes them or subscribes to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceapp.config import get_settings
from traceapp.db.sessions import get_database, get_session
from traceapp.events.query import LIST_PARAMETERS, QueryParameterError, parse_query, run_query
from traceapp.ledger_runtime import get_ledger
from traceapp.subscriptions.errors import SubscriptionsError
from traceapp.subscriptions.models import NamedQuery, OutboxDelivery, Subscription
from traceapp.subscriptions.services import (
    create_query,
    create_subscription,
    delete_query,
    delete_subscription,
    event_query,
    find_query,
    find_subscription,
    list_queries,
    list_subscriptions,
)
from traceapp.web.epcis_api import page_answer
from traceapp.web.epcis_http import STATUS, answer, blueprint, json_body, principal, problem

bp = blueprint("epcis_queries")
F = TypeVar("F", bound=Callable[..., Response])


def _answers_errors(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except SubscriptionsError as exc:
            kind = exc.epcis_exception
            return problem(STATUS.get(kind, 400), kind, exc.message, field=exc.field or "")

    return wrapped  # type: ignore[return-value]


def _time(moment: Any) -> str | None:
    return moment.isoformat(timespec="milliseconds") if moment is not None else None


def _query_json(query: NamedQuery) -> dict[str, Any]:
    """The definition as the binding shows it: lists for list parameters, true for EXISTS_."""
    params: dict[str, list[str]] = json.loads(query.parameters)
    shown: dict[str, Any] = {}
    for name, values in params.items():
        if name.startswith("EXISTS_"):
            shown[name] = True
        elif name in LIST_PARAMETERS:
            shown[name] = [v for value in values for v in value.split("|") if v]
        else:
            shown[name] = values[0] if values else ""
    return {"name": query.name, "query": shown}


@bp.get("/queries")
@_answers_errors
def queries() -> Response:
    caller = principal()
    return answer([_query_json(q) for q in list_queries(get_session(), caller)], 200)


@bp.post("/queries")
@_answers_errors
def create() -> Response:
    caller = principal()
    body = json_body()
    if not isinstance(body, dict) or set(body) - {"name", "query"}:
        return problem(400, "ValidationException", "give an object with name and query")
    with get_database().write() as session:
        query = create_query(session, caller, body.get("name"), body.get("query"))
        shown = _query_json(query)
    response = answer(shown, 201)
    response.headers["Location"] = url_for(".query", name=shown["name"])
    return response


@bp.get("/queries/<name>")
@_answers_errors
def query(name: str) -> Response:
    caller = principal()
    return answer(_query_json(find_query(get_session(), caller, name)), 200)


@bp.delete("/queries/<name>")
@_answers_errors
def delete(name: str) -> Response:
    caller = principal()
    with get_database().write() as session:
        delete_query(session, caller, name)
    return answer(None, 204)


@bp.get("/queries/<name>/events")
@_answers_errors
def query_events(name: str) -> Response:
    caller = principal()
    session = get_session()
    named = find_query(session, caller, name)
    unknown = sorted(set(request.args) - {"perPage", "nextPageToken"})
    if unknown:
        return problem(
            400, "QueryParameterException", "a named query takes paging only", parameter=unknown[0]
        )
    try:
        paging = parse_query(request.args.to_dict(flat=False))
    except QueryParameterError as exc:
        return problem(400, "QueryParameterException", exc.message, parameter=exc.parameter)
    query = event_query(session, named, per_page=paging.per_page, after_seq=paging.after_seq)
    page = run_query(session, get_ledger().origin, query)
    return page_answer(page, ".query_events", query_name=named.name, name=named.name)


def _subscription_json(
    subscription: Subscription, session: Session | None = None
) -> dict[str, Any]:
    session = session or get_session()
    counts: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(OutboxDelivery.status, func.count())
            .where(OutboxDelivery.subscription_id == subscription.id)
            .group_by(OutboxDelivery.status)
        ).all()
    )
    dead = session.execute(
        select(OutboxDelivery)
        .where(OutboxDelivery.subscription_id == subscription.id, OutboxDelivery.status == "dead")
        .order_by(OutboxDelivery.id)
        .limit(100)
    ).scalars()
    body: dict[str, Any] = {
        "subscriptionID": subscription.public_id,
        "dest": subscription.dest,
        "createdAt": _time(subscription.created_at),
        "reportIfEmpty": subscription.report_if_empty,
        "status": "deadLetter" if counts.get("dead") else "active",
        "pendingDeliveries": int(counts.get("pending", 0)),
        "deliveries": int(counts.get("delivered", 0)),
        "deadLetters": [
            {
                "firstIndex": row.after_seq + 1,
                "lastIndex": row.upto_seq,
                "eventCount": row.event_count,
                "attempts": row.attempts,
                "lastError": row.last_error,
            }
            for row in dead
        ],
        "signed": subscription.secret is not None,
    }
    if subscription.stream:
        body["stream"] = True
    else:
        body["schedule"] = json.loads(subscription.schedule or "{}")
    for key, value in (
        ("lastNotifiedAt", _time(subscription.last_notified_at)),
        ("initialRecordTime", _time(subscription.initial_record_time)),
        ("lastError", subscription.last_error),
        ("lastErrorAt", _time(subscription.last_error_at)),
    ):
        if value is not None:
            body[key] = value
    return body


@bp.get("/queries/<name>/subscriptions")
@_answers_errors
def subscriptions(name: str) -> Response:
    caller = principal()
    named = find_query(get_session(), caller, name)
    listed = list_subscriptions(get_session(), named)
    return answer([_subscription_json(s) for s in listed], 200)


@bp.post("/queries/<name>/subscriptions")
@_answers_errors
def subscribe(name: str) -> Response:
    caller = principal()
    body = json_body()
    allow_private = get_settings().epcis_allow_private_dest
    with get_database().write() as session:
        named = find_query(session, caller, name)
        subscription = create_subscription(
            session, caller, named, body, allow_private=allow_private
        )
        public_id = subscription.public_id
        shown = _subscription_json(subscription, session)
    response = answer(shown, 201)
    response.headers["Location"] = url_for(".subscription", name=name, subscription_id=public_id)
    return response


@bp.get("/queries/<name>/subscriptions/<subscription_id>")
@_answers_errors
def subscription(name: str, subscription_id: str) -> Response:
    caller = principal()
    named = find_query(get_session(), caller, name)
    return answer(_subscription_json(find_subscription(get_session(), named, subscription_id)), 200)


@bp.delete("/queries/<name>/subscriptions/<subscription_id>")
@_answers_errors
def unsubscribe(name: str, subscription_id: str) -> Response:
    caller = principal()
    with get_database().write() as session:
        delete_subscription(session, caller, find_query(session, caller, name), subscription_id)
    return answer(None, 204)
