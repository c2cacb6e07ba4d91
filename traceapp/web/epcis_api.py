"""EPCIS 2.0 REST binding: capture, capture jobs and the events query (DESIGN §7).

Capture is asynchronous as the binding says: a document that parses (and, under ``rollback``,
passes the GS1 schema) is kept as a job and answered ``202`` with ``Location:
/epcis/capture/{captureID}``; a worker records it (docs/epcis.md). ``Prefer: wait`` asks for
the capture to happen before the answer: then ``201`` with the finished job, or ``400`` with
its issues. Errors are RFC 7807 problem details with the binding's exception types; document
problems list every issue with its JSON pointer and rule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response, request, url_for
from werkzeug.datastructures import MultiDict

from traceapp.auth.services import Principal
from traceapp.db.sessions import get_database, get_session
from traceapp.epcis.errors import EpcisValidationError, Issue
from traceapp.epcis.exporter import query_document
from traceapp.epcis.schema import DEFAULT_MAX_BYTES, parse_document, validate_document
from traceapp.epcis.vocabulary import upgraded
from traceapp.error_texts import translator
from traceapp.errors import DomainError
from traceapp.events.capture import (
    ERROR_BEHAVIOURS,
    CaptureRejected,
    capture_document,
    find_capture_job,
    save_capture_job,
)
from traceapp.events.capture_jobs import enqueue_capture, job_json
from traceapp.events.query import Page, QueryParameterError, parse_query, run_query
from traceapp.i18n import negotiate
from traceapp.ledger_runtime import get_ledger
from traceapp.web.epcis_http import (
    JSON_TYPES,
    Refused,
    answer,
    blueprint,
    capture_headers,
    principal,
    problem,
)

bp = blueprint("epcis_api")

CAPTURE_ROLES = ("producer", "admin")


def _issues(issues: list[Issue], truncated: bool = False) -> dict[str, Any]:
    listed = [{"pointer": i.pointer, "rule": i.rule, "message": i.message} for i in issues]
    return {"issues": listed, "truncated": truncated}


def _capturer() -> Principal:
    caller = principal()
    if caller.role not in CAPTURE_ROLES or caller.key_name is None:
        raise Refused(
            problem(403, "SecurityException", "only producers and admins may capture events")
        )
    return caller


def _body() -> bytes:
    """The request body, refused with 413 before it is read when it is too large."""
    length = request.content_length
    too_large = problem(
        413,
        "CaptureLimitExceededException",
        "the document is too large",
        f"at most {DEFAULT_MAX_BYTES} bytes",
    )
    if length is not None and length > DEFAULT_MAX_BYTES:
        raise Refused(too_large)
    chunks: list[bytes] = []
    size = 0
    while chunk := request.stream.read(1 << 20):  # without a length: count while reading
        size += len(chunk)
        if size > DEFAULT_MAX_BYTES:
            raise Refused(too_large)
        chunks.append(chunk)
    return b"".join(chunks)


def _error_behaviour() -> str:
    value = request.headers.get("GS1-Capture-Error-Behaviour", "rollback").strip().lower()
    if value not in ERROR_BEHAVIOURS:
        raise Refused(
            problem(
                400,
                "ValidationException",
                "unsupported GS1-Capture-Error-Behaviour",
                f"use one of: {', '.join(ERROR_BEHAVIOURS)}",
            )
        )
    return value


def _invalid(exc: EpcisValidationError) -> Response:
    return problem(
        400,
        "ValidationException",
        "the document is not a valid EPCIS 2.0 document; nothing was recorded",
        str(exc),
        **_issues(exc.issues, exc.truncated),
    )


@bp.route("/capture", methods=["OPTIONS"])
def capture_options() -> Response:
    response = answer(None, 204)
    response.headers["Allow"] = "OPTIONS, POST"
    return capture_headers(response)


@bp.post("/capture")
def capture() -> Response:
    caller = _capturer()
    assert caller.key_name is not None
    behaviour = _error_behaviour()
    if request.mimetype not in JSON_TYPES:
        return problem(415, "ValidationException", "send application/json or application/ld+json")
    raw = _body()
    if "wait" in request.headers.get("Prefer", "").lower():
        return capture_headers(_capture_now(caller.key_name, behaviour, raw))
    try:  # refused at once when it is not even a document; the rest is the worker's job
        document = parse_document(raw, max_bytes=DEFAULT_MAX_BYTES)
        if behaviour == "rollback":
            # The same check prepare_document starts with: 1.x URNs upgraded, then the schema.
            validate_document(upgraded(document))
    except EpcisValidationError as exc:
        return capture_headers(_invalid(exc))
    with get_database().write() as session:
        capture_id = enqueue_capture(session, caller.key_name, behaviour, raw)
    response = answer({"captureID": capture_id}, 202)
    response.headers["Location"] = url_for(".capture_job", capture_id=capture_id)
    return capture_headers(response)


def _capture_now(actor: str, behaviour: str, raw: bytes) -> Response:
    started = datetime.now(UTC)
    database = get_database()
    ledger = get_ledger()
    try:
        with database.write() as session:
            result = capture_document(session, ledger, actor, raw, error_behaviour=behaviour)
            report = result.as_json()
            capture_id = save_capture_job(
                session, actor, behaviour, started, report, success=result.success
            )
    except CaptureRejected as exc:
        # Rolled back: nothing was recorded, but the job and its errors are kept.
        report = {"captureErrorBehaviour": behaviour, "success": False, **_issues(exc.issues)}
        with database.write() as session:
            capture_id = save_capture_job(session, actor, behaviour, started, report, success=False)
        response = problem(
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
        return _invalid(exc)
    except DomainError as exc:
        item = exc.problems(translator(negotiate(request.headers.get("Accept-Language"))))[0]
        return problem(400, "ValidationException", item.message, code=item.code)
    with database.read_sessions() as session:
        job = find_capture_job(session, capture_id)
        assert job is not None
        response = answer(job_json(job), 201)
    response.headers["Location"] = url_for(".capture_job", capture_id=capture_id)
    response.headers["Preference-Applied"] = "wait"
    return response


@bp.get("/capture/<capture_id>")
def capture_job(capture_id: str) -> Response:
    caller = principal()
    job = find_capture_job(get_session(), capture_id)
    if job is None or (caller.role != "admin" and job.actor != caller.key_name):
        return problem(404, "NoSuchResourceException", "no such capture job")
    return capture_headers(answer(job_json(job), 200))


def next_link(endpoint: str, token: str, **values: Any) -> str:
    args = MultiDict(request.args)
    args.setlist("nextPageToken", [token])
    return f"{url_for(endpoint, **values)}?{urlencode(list(args.items(multi=True)))}"


def page_answer(
    page: Page, endpoint: str, query_name: str = "SimpleEventQuery", **values: str
) -> Response:
    response = answer(
        query_document(page.events, query_name=query_name), 200, "application/ld+json"
    )
    if page.next_token is not None:
        response.headers["Link"] = f'<{next_link(endpoint, page.next_token, **values)}>; rel="next"'
        response.headers["GS1-Next-Page-Token"] = page.next_token
    return response


@bp.get("/events")
def events() -> Response:
    """The SimpleEventQuery over every recorded event (the ledger is public)."""
    try:
        query = parse_query(request.args.to_dict(flat=False))
    except QueryParameterError as exc:
        return problem(400, "QueryParameterException", exc.message, parameter=exc.parameter)
    page = run_query(get_session(), get_ledger().origin, query)
    return page_answer(page, ".events")
