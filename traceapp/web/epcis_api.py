"""EPCIS 2.0 REST binding subset (DESIGN §7): capture, capture jobs and the events query.

Capture is synchronous: the document is recorded (or refused) before the answer, which is
``201`` with the capture job's report and its ``Location``, instead of the binding's ``202``
and a job still running. Errors are RFC 7807 problem details with the binding's exception
types; document problems list every issue with its JSON pointer and rule.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request, url_for
from werkzeug.datastructures import MultiDict

from traceapp.auth.services import Principal, authenticate
from traceapp.db.sessions import get_database, get_session, replica_reads_if_safe
from traceapp.epcis.errors import EpcisValidationError, Issue
from traceapp.epcis.exporter import query_document
from traceapp.epcis.schema import DEFAULT_MAX_BYTES
from traceapp.error_texts import translator
from traceapp.errors import DomainError
from traceapp.events.capture import (
    ERROR_BEHAVIOURS,
    CaptureRejected,
    capture_document,
    find_capture_job,
    save_capture_job,
)
from traceapp.events.query import QueryParameterError, parse_query, run_query
from traceapp.i18n import negotiate
from traceapp.ledger_runtime import get_ledger

bp = Blueprint("epcis_api", __name__, url_prefix="/epcis")
bp.before_request(replica_reads_if_safe)  # queries from a replica; captures on the primary

EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"
JSON_TYPES = ("application/json", "application/ld+json")
CAPTURE_ROLES = ("producer", "admin")


def _json(body: Any, status: int, content_type: str = "application/json") -> Response:
    response = Response(json.dumps(body, ensure_ascii=False), status=status)
    response.headers["Content-Type"] = content_type
    response.headers["GS1-EPCIS-Version"] = EPCIS_VERSION
    response.headers["GS1-CBV-Version"] = CBV_VERSION
    return response


def _problem(status: int, exception: str, title: str, detail: str = "", **extra: Any) -> Response:
    body = {"type": f"epcisException:{exception}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return _json(body, status, "application/problem+json")


def _issues(issues: list[Issue], truncated: bool = False) -> dict[str, Any]:
    listed = [{"pointer": i.pointer, "rule": i.rule, "message": i.message} for i in issues]
    return {"issues": listed, "truncated": truncated}


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


@bp.errorhandler(_Refused)
def _refused(error: _Refused) -> Response:
    return error.response


def _principal() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    principal = authenticate(get_session(), token.strip()) if scheme.lower() == "bearer" else None
    if principal is None:
        response = _problem(401, "SecurityException", "authentication required")
        response.headers["WWW-Authenticate"] = 'Bearer realm="epcis"'
        raise _Refused(response)
    return principal


def _capturer() -> Principal:
    principal = _principal()
    if principal.role not in CAPTURE_ROLES or principal.key_name is None:
        raise _Refused(
            _problem(403, "SecurityException", "only producers and admins may capture events")
        )
    return principal


def _body() -> bytes:
    """The request body, refused with 413 before it is read when it is too large."""
    length = request.content_length
    too_large = _problem(
        413,
        "CaptureLimitExceededException",
        "the document is too large",
        f"at most {DEFAULT_MAX_BYTES} bytes",
    )
    if length is not None and length > DEFAULT_MAX_BYTES:
        raise _Refused(too_large)
    chunks: list[bytes] = []
    size = 0
    while chunk := request.stream.read(1 << 20):  # without a length: count while reading
        size += len(chunk)
        if size > DEFAULT_MAX_BYTES:
            raise _Refused(too_large)
        chunks.append(chunk)
    return b"".join(chunks)


def _error_behaviour() -> str:
    value = request.headers.get("GS1-Capture-Error-Behaviour", "rollback").strip().lower()
    if value not in ERROR_BEHAVIOURS:
        raise _Refused(
            _problem(
                400,
                "ValidationException",
                "unsupported GS1-Capture-Error-Behaviour",
                f"use one of: {', '.join(ERROR_BEHAVIOURS)}",
            )
        )
    return value


@bp.post("/capture")
def capture() -> Response:
    principal = _capturer()
    assert principal.key_name is not None
    behaviour = _error_behaviour()
    if request.mimetype not in JSON_TYPES:
        return _problem(415, "ValidationException", "send application/json or application/ld+json")
    raw = _body()
    started = datetime.now(UTC)
    database = get_database()
    ledger = get_ledger()
    try:
        with database.write() as session:
            result = capture_document(
                session, ledger, principal.key_name, raw, error_behaviour=behaviour
            )
            report = result.as_json()
            capture_id = save_capture_job(
                session, principal.key_name, behaviour, started, report, success=result.success
            )
    except CaptureRejected as exc:
        # Rolled back: nothing was recorded, but the job and its errors are kept.
        report = {"captureErrorBehaviour": behaviour, "success": False, **_issues(exc.issues)}
        with database.write() as session:
            capture_id = save_capture_job(
                session, principal.key_name, behaviour, started, report, success=False
            )
        response = _problem(
            400,
            "ValidationException",
            "the ledger refused events; nothing was recorded",
            str(exc),
            captureID=capture_id,
            **_issues(exc.issues),
        )
        response.headers["Location"] = url_for(".capture_job", capture_id=capture_id)
        return response
    except EpcisValidationError as exc:
        return _problem(
            400,
            "ValidationException",
            "the document is not a valid EPCIS 2.0 document; nothing was recorded",
            str(exc),
            **_issues(exc.issues, exc.truncated),
        )
    except DomainError as exc:
        problem = exc.problems(translator(negotiate(request.headers.get("Accept-Language"))))[0]
        return _problem(400, "ValidationException", problem.message, code=problem.code)
    response = _json(_job_json(capture_id, started, datetime.now(UTC), report), 201)
    response.headers["Location"] = url_for(".capture_job", capture_id=capture_id)
    return response


def _job_json(
    capture_id: str, created: datetime, finished: datetime, report: dict[str, Any]
) -> dict[str, Any]:
    return {
        "captureID": capture_id,
        "createdAt": created.isoformat(timespec="milliseconds"),
        "finishedAt": finished.isoformat(timespec="milliseconds"),
        "running": False,
        **report,
    }


@bp.get("/capture/<capture_id>")
def capture_job(capture_id: str) -> Response:
    principal = _principal()
    job = find_capture_job(get_session(), capture_id)
    if job is None or (principal.role != "admin" and job.actor != principal.key_name):
        return _problem(404, "NoSuchResourceException", "no such capture job")
    return _json(
        _job_json(job.public_id, job.created_at, job.finished_at, json.loads(job.report)), 200
    )


def _next_link(token: str) -> str:
    args = MultiDict(request.args)
    args.setlist("nextPageToken", [token])
    return f"{url_for('.events')}?{urlencode(list(args.items(multi=True)))}"


@bp.get("/events")
def events() -> Response:
    """The SimpleEventQuery over every recorded event (the ledger is public)."""
    try:
        query = parse_query(request.args.to_dict(flat=False))
    except QueryParameterError as exc:
        return _problem(400, "QueryParameterException", exc.message, parameter=exc.parameter)
    page = run_query(get_session(), get_ledger().origin, query)
    response = _json(query_document(page.events), 200, "application/ld+json")
    if page.next_token is not None:
        response.headers["Link"] = f'<{_next_link(page.next_token)}>; rel="next"'
        response.headers["GS1-Next-Page-Token"] = page.next_token
    return response
