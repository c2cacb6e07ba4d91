"""The OpenAPI 3.0 document of exactly what ``/epcis`` serves (``GET /epcis/openapi.json``).

Built from one table of our operations; a test compares its paths and methods with the app's
routes, so the document cannot claim an operation we do not serve, nor miss one.
"""

from __future__ import annotations

from typing import Any

from traceapp.epcis.importer import MAX_EVENTS
from traceapp.epcis.schema import DEFAULT_MAX_BYTES
from traceapp.events.query import MAX_PER_PAGE, SUPPORTED_PARAMETERS

_PAGING = ["perPage", "nextPageToken"]
_QUERY = sorted(SUPPORTED_PARAMETERS)
_QUERY_DOC = (
    "EPCISQueryDocument (application/ld+json); Link rel=next and GS1-Next-Page-Token when more"
)
_COLLECTION = "a Collection of the values recorded so far"
_SUB = "/queries/{queryName}/subscriptions"
# (path, method, summary, query parameters, auth, answers)
OPERATIONS: tuple[tuple[str, str, str, list[str], bool, dict[str, str]], ...] = (
    ("/capture", "options", "capture limits (GS1-EPCIS-Capture-Limit ...)", [], False, {"204": "limits in headers"}),
    ("/capture", "post", "asynchronous capture of an EPCISDocument or EPCISQueryDocument", [], True,
     {"202": "accepted; Location: the capture job", "201": "with Prefer: wait, captured",
      "400": "ValidationException", "413": "CaptureLimitExceededException", "415": "media type"}),
    ("/capture/{captureID}", "get", "a capture job: running, success, errors", [], True, {"200": "CaptureJob", "404": "NoSuchResourceException"}),
    ("/events", "get", "SimpleEventQuery over every event", _QUERY, False, {"200": _QUERY_DOC, "400": "QueryParameterException"}),
    ("/eventTypes", "get", "the event types", [], False, {"200": "EventTypeCollection"}),
    ("/bizSteps", "get", "business steps used", _PAGING, False, {"200": _COLLECTION}),
    ("/bizLocations", "get", "business locations used", _PAGING, False, {"200": _COLLECTION}),
    ("/readPoints", "get", "read points used", _PAGING, False, {"200": _COLLECTION}),
    ("/dispositions", "get", "dispositions used", _PAGING, False, {"200": _COLLECTION}),
    ("/epcs/{epc}/events", "get", "events naming an EPC in any role", [p for p in _QUERY if p != "MATCH_anyEPC"], False, {"200": _QUERY_DOC}),
    ("/queries", "get", "the named queries the caller may see", [], True, {"200": "list of QueryDefinition"}),
    ("/queries", "post", "create a named query", [], True, {"201": "Location: the query", "400": "QueryParameterException", "409": "ResourceAlreadyExistsException"}),
    ("/queries/{queryName}", "get", "a named query", [], True, {"200": "QueryDefinition", "404": "NoSuchNameException"}),
    ("/queries/{queryName}", "delete", "delete a named query and its subscriptions", [], True, {"204": "deleted", "403": "SecurityException"}),
    ("/queries/{queryName}/events", "get", "the named query's events", _PAGING, True, {"200": _QUERY_DOC}),
    (_SUB, "get", "the query's subscriptions with delivery status", [], True, {"200": "list of subscriptions"}),
    (_SUB, "post", "subscribe: dest, signatureToken, stream or schedule, reportIfEmpty, initialRecordTime", [], True,
     {"201": "the subscription", "400": "SubscriptionControlsException"}),
    (_SUB + "/{subscriptionID}", "get", "a subscription: status, deliveries, dead letters, last error", [], True, {"200": "the subscription"}),
    (_SUB + "/{subscriptionID}", "delete", "unsubscribe", [], True, {"204": "deleted", "404": "NoSuchSubscriptionException"}),
    ("/openapi.json", "get", "this document", [], False, {"200": "OpenAPI 3.0"}),
)  # fmt: skip


def _parameter(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if name == "perPage":
        schema = {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _path_parameters(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
    ]


def openapi_document(base: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for path, method, summary, params, auth, answers in OPERATIONS:
        operation: dict[str, Any] = {
            "summary": summary,
            "parameters": _path_parameters(path) + [_parameter(p) for p in params],
            "responses": {status: {"description": text} for status, text in answers.items()},
        }
        if auth:
            operation["security"] = [{"bearer": []}]
            operation["responses"].setdefault("401", {"description": "SecurityException"})
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "OCOP trace ledger: EPCIS 2.0 REST binding",
            "version": "2.0.0",
            "description": (
                f"The subset of GS1's EPCIS 2.0 OpenAPI this repository serves. Capture limit "
                f"{MAX_EVENTS} events, {DEFAULT_MAX_BYTES} bytes. Deliveries are signed with "
                "GS1-Signature: sha256=<hex HMAC-SHA256 of the body> (docs/epcis.md)."
            ),
        },
        "servers": [{"url": base}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    }
