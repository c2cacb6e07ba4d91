"""What every EPCIS 2.0 REST blueprint shares: JSON answers with the binding's ``GS1-*``
headers, RFC 7807 problems with its exception types, and the caller from the bearer token."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from traceapp.auth.services import Principal, authenticate
from traceapp.db.sessions import get_session, replica_reads_if_safe
from traceapp.epcis.importer import MAX_EVENTS
from traceapp.epcis.schema import DEFAULT_MAX_BYTES

EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"
JSON_TYPES = ("application/json", "application/ld+json")
# HTTP status of each EPCIS exception type we answer with.
STATUS = {
    "ValidationException": 400,
    "QueryParameterException": 400,
    "SubscriptionControlsException": 400,
    "SecurityException": 403,
    "NoSuchNameException": 404,
    "NoSuchSubscriptionException": 404,
    "NoSuchResourceException": 404,
    "ResourceAlreadyExistsException": 409,
}


def answer(body: Any, status: int, content_type: str = "application/json") -> Response:
    data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    response = Response(data, status=status)
    if body is not None:
        response.headers["Content-Type"] = content_type
    version_headers(response)
    return response


def version_headers(response: Response) -> Response:
    response.headers["GS1-EPCIS-Version"] = EPCIS_VERSION
    response.headers["GS1-CBV-Version"] = CBV_VERSION
    return response


def capture_headers(response: Response) -> Response:
    """The capture interface's limits, on its answers and its ``OPTIONS``."""
    response.headers["GS1-EPCIS-Capture-Limit"] = str(MAX_EVENTS)
    response.headers["GS1-EPCIS-Capture-File-Size-Limit"] = str(DEFAULT_MAX_BYTES)
    response.headers["GS1-Capture-Error-Behaviour"] = "rollback, proceed"
    return response


def problem(status: int, exception: str, title: str, detail: str = "", **extra: Any) -> Response:
    body = {"type": f"epcisException:{exception}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return answer(body, status, "application/problem+json")


class Refused(Exception):
    """Raised with a ready answer; each EPCIS blueprint turns it back into that answer."""

    def __init__(self, response: Response) -> None:
        self.response = response


def refused(error: Refused) -> Response:
    return error.response


def blueprint(name: str) -> Blueprint:
    bp = Blueprint(name, __name__, url_prefix="/epcis")
    bp.register_error_handler(Refused, refused)
    bp.before_request(_replica_reads)
    return bp


def _replica_reads() -> None:
    """Queries may read from a replica (issue 19); a capture job's state is read where it was
    just written (the primary): the job a 202 names must be there when its client asks."""
    if not request.path.startswith("/epcis/capture"):
        replica_reads_if_safe()


def principal() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    caller = authenticate(get_session(), token.strip()) if scheme.lower() == "bearer" else None
    if caller is None:
        response = problem(401, "SecurityException", "authentication required")
        response.headers["WWW-Authenticate"] = 'Bearer realm="epcis"'
        raise Refused(response)
    return caller


def json_body() -> object:
    if request.mimetype not in JSON_TYPES:
        raise Refused(
            problem(415, "ValidationException", "send application/json or application/ld+json")
        )
    raw = request.get_data(cache=False)
    if len(raw) > 1 << 20:
        raise Refused(problem(413, "ValidationException", "the body is over 1 MiB"))
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Refused(problem(400, "ValidationException", "the body is not JSON")) from None
