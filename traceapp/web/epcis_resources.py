"""EPCIS 2.0 REST top-level resources: the event types, the business steps, locations, read
points and dispositions our events use, one EPC's events, and the OpenAPI document of it all.

Collections list the values recorded so far, in order, paged like events (``perPage``,
``nextPageToken``, ``Link: rel="next"``). bizSteps and dispositions are CBV short names
(``shipping``) or, for extensions, their URIs, as the binding's collection schemas want.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Response, request, url_for
from sqlalchemy import select

from traceapp.db.sessions import get_session
from traceapp.epcis.schema import EVENT_TYPES
from traceapp.events.models import Event
from traceapp.events.projections import CBV_PREFIXES
from traceapp.events.query import QueryParameterError, parse_query, run_query
from traceapp.events.vocabulary import BIZ_STEPS, DISPOSITIONS
from traceapp.ledger_runtime import get_ledger
from traceapp.web.epcis_api import next_link, page_answer
from traceapp.web.epcis_http import answer, blueprint, problem
from traceapp.web.epcis_openapi import openapi_document

bp = blueprint("epcis_resources")

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
COLUMNS = {
    "bizSteps": Event.biz_step,
    "bizLocations": Event.biz_location,
    "readPoints": Event.read_point,
    "dispositions": Event.disposition,
}


# A stored short name that is not CBV (our own ``harvesting``) is shown as the URI the event
# documents carry, which is what the collection schemas accept.
_SHORT = {"bizSteps": (BIZ_STEPS, CBV_PREFIXES[0]), "dispositions": (DISPOSITIONS, CBV_PREFIXES[1])}


def _shown(kind: str, value: str) -> str:
    if kind not in _SHORT or ":" in value:
        return value
    names, prefix = _SHORT[kind]
    return value if value in names else prefix + value


def _collection(members: list[str]) -> dict[str, Any]:
    return {"@context": CONTEXT, "type": "Collection", "member": members}


@bp.get("/eventTypes")
def event_types() -> Response:
    return answer(_collection(list(EVENT_TYPES)), 200)


def _after(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise QueryParameterError("nextPageToken", "not a token this server issued") from None


def _values(kind: str) -> Response:
    unknown = sorted(set(request.args) - {"perPage", "nextPageToken"})
    try:
        if unknown:
            raise QueryParameterError(unknown[0], "is not a parameter of this collection")
        paging = parse_query(
            {k: v for k, v in request.args.to_dict(flat=False).items() if k == "perPage"}
        )
        after = _after(request.args.get("nextPageToken"))
    except QueryParameterError as exc:
        return problem(400, "QueryParameterException", exc.message, parameter=exc.parameter)
    column = COLUMNS[kind]
    stmt = select(column).where(column.is_not(None)).distinct().order_by(column)
    if after is not None:
        stmt = stmt.where(column > after)
    values = [str(v) for v in get_session().execute(stmt.limit(paging.per_page + 1)).scalars()]
    more = len(values) > paging.per_page
    values = values[: paging.per_page]
    response = answer(_collection([_shown(kind, v) for v in values]), 200)
    if more:
        token = base64.urlsafe_b64encode(values[-1].encode("utf-8")).decode().rstrip("=")
        response.headers["Link"] = f'<{next_link(f".{kind}", token)}>; rel="next"'
        response.headers["GS1-Next-Page-Token"] = token
    return response


# Endpoint names are the binding's resource names (bizSteps ...).
@bp.get("/bizSteps")
def bizSteps() -> Response:
    return _values("bizSteps")


@bp.get("/bizLocations")
def bizLocations() -> Response:
    return _values("bizLocations")


@bp.get("/readPoints")
def readPoints() -> Response:
    return _values("readPoints")


@bp.get("/dispositions")
def dispositions() -> Response:
    return _values("dispositions")


@bp.get("/epcs/<path:epc>/events")
def epc_events(epc: str) -> Response:
    """Every event naming the EPC in any role (``MATCH_anyEPC``), URN or Digital Link."""
    args = request.args.to_dict(flat=False)
    if "MATCH_anyEPC" in args:
        return problem(
            400, "QueryParameterException", "the EPC is in the path", parameter="MATCH_anyEPC"
        )
    try:
        query = parse_query({**args, "MATCH_anyEPC": [epc]})
    except QueryParameterError as exc:
        return problem(400, "QueryParameterException", exc.message, parameter=exc.parameter)
    page = run_query(get_session(), get_ledger().origin, query)
    return page_answer(page, ".epc_events", epc=epc)


@bp.get("/openapi.json")
def openapi() -> Response:
    return answer(openapi_document(url_for("epcis_api.events").rsplit("/", 1)[0]), 200)
