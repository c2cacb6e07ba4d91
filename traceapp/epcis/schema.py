"""Parsing and GS1 JSON-schema validation of EPCIS 2.0 documents.

``parse_document`` turns a request body into a JSON object (bounded size, strict UTF-8 and JSON);
``validate_document`` checks an EPCISDocument or EPCISQueryDocument against GS1's EPCIS 2.0 JSON
Schema (``schemas/EPCIS-JSON-Schema.json``, Draft 7) and reports every problem with its JSON
pointer and failing rule; ``iter_events`` walks the events of either document kind.

The validator is jsonschema-rs (compiled, Draft 7): the pure-Python ``jsonschema`` needs about
4 ms per event on this schema, so a 20 MB capture would hold a worker for minutes, where
jsonschema-rs takes well under a second. Formats are checked with our own ``date-time`` and ``uri``
functions, so that exactly RFC 3339 / RFC 3986 decide, and a time zone offset is required.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from ledger.errors import FormatError
from ledger.strict_json import loads_strict
from traceapp.epcis.errors import EpcisValidationError, Issue

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ISSUES",
    "DOCUMENT_TYPES",
    "EVENT_TYPES",
    "events_pointer",
    "is_date_time",
    "is_uri",
    "iter_events",
    "load_schema",
    "parse_document",
    "validate_document",
]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ISSUES = 1000
DOCUMENT_TYPES = frozenset({"EPCISDocument", "EPCISQueryDocument"})
# The five EPCIS 2.0 event types, in the order messages list them.
EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransformationEvent",
    "TransactionEvent",
    "AssociationEvent",
)
_SCHEMA_FILE = "schemas/EPCIS-JSON-Schema.json"


# --------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------

# RFC 3339 section 5.6 date-time: the offset is mandatory, hours 00-23, minutes 00-59.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt]([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d+)?"
    r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
)

# RFC 3986 URI (absolute: a scheme is required): unreserved, reserved and %-escaped characters.
_URI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:"
    r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?\[\]]|%[0-9A-Fa-f]{2})*"
    r"(?:#(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?"
)


def is_date_time(instance: object) -> bool:
    """RFC 3339 date-time with a real calendar date and a valid offset (``+25:00`` fails)."""
    if not isinstance(instance, str):
        return True  # formats only constrain strings
    match = _DATE_TIME.fullmatch(instance)
    if match is None:
        return False
    try:
        date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    return True


def is_uri(instance: object) -> bool:
    """RFC 3986 absolute URI (``urn:epc:id:sgtin:...``, ``https://...``, ``ex:field``)."""
    return not isinstance(instance, str) or _URI.fullmatch(instance) is not None


# --------------------------------------------------------------------------------------------
# Validator (built once per process)
# --------------------------------------------------------------------------------------------


def load_schema() -> dict[str, Any]:
    """GS1's inlined EPCIS 2.0 JSON Schema, shipped in ``traceapp/epcis/schemas``."""
    text = resources.files("traceapp.epcis").joinpath(_SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> jsonschema_rs.Validator:
    # offline: the schema is self-contained; never fetch a $ref from the network.
    return jsonschema_rs.Draft7Validator(
        load_schema(),
        formats={"date-time": is_date_time, "uri": is_uri},
        validate_formats=True,
        offline=True,
    )


# --------------------------------------------------------------------------------------------
# Issues from validation errors
# --------------------------------------------------------------------------------------------


def _escape(token: object) -> str:
    # RFC 6901: "~" and "/" inside a member name are written "~0" and "~1".
    return str(token).replace("~", "~0").replace("/", "~1")


def _pointer(tokens: list[str | int]) -> str:
    return "".join("/" + _escape(token) for token in tokens)


def _shorten(text: str, limit: int = 200) -> str:
    # Messages quote the failing instance, which can be a whole event or document.
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _message(error: jsonschema_rs.ValidationError) -> str:
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.AnyOf) and kind.context:
        reasons = "; ".join(branch[0].message for branch in kind.context if branch)
        return _shorten("matches none of the allowed forms: " + reasons)
    return _shorten(error.message)


def _issue(error: jsonschema_rs.ValidationError) -> Issue:
    tokens = list(error.instance_path)
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.PropertyNames):
        # The member name itself is at fault: point at it.
        name = str(kind.error.instance)
        tokens.append(name)
        message = f"member name {_shorten(repr(name), 80)} is not allowed here"
        return Issue(_pointer(tokens), "propertyNames", message + " (extensions need a namespace)")
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        tokens.append(kind.property)  # point at the absent member, not at its parent
    return Issue(_pointer(tokens), kind.name, _message(error))


def _schema_issues(document: Mapping[str, Any], max_issues: int) -> tuple[list[Issue], bool]:
    issues: set[Issue] = set()
    for error in _validator().iter_errors(document):
        issues.add(_issue(error))
        if len(issues) > max_issues:
            return sorted(issues)[:max_issues], True
    return sorted(issues), False


def _kind_issues(document: Mapping[str, Any]) -> list[Issue]:
    # The GS1 schema also accepts a bare event at the top level; a document must be one of two.
    kind = document.get("type")
    if isinstance(kind, str) and kind in DOCUMENT_TYPES:  # a list or object is not hashable
        return []
    expected = " or ".join(sorted(DOCUMENT_TYPES))
    return [Issue("/type", "enum", f"{kind!r} is not a document type: expected {expected}")]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def validate_document(document: object, *, max_issues: int = DEFAULT_MAX_ISSUES) -> None:
    """Raise ``EpcisValidationError`` unless ``document`` is a valid EPCIS(Query)Document.

    Every problem is listed (up to ``max_issues``; ``truncated`` is set beyond that) as an
    ``Issue`` with a JSON pointer such as ``/epcisBody/eventList/0/eventTime`` and the failing
    JSON-schema keyword (``required``, ``pattern``, ``format``, ``enum``, ``type`` ...).
    """
    if not isinstance(document, Mapping):
        raise EpcisValidationError([Issue("", "type", "an EPCIS document must be a JSON object")])
    kind_issues = _kind_issues(document)
    if kind_issues:  # validating it as something else would only add noise
        raise EpcisValidationError(kind_issues)
    issues, truncated = _schema_issues(document, max_issues)
    if issues:
        raise EpcisValidationError(issues, truncated=truncated)


def parse_document(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Decode a request body into a JSON object, or raise ``EpcisValidationError``.

    Rejects bodies over ``max_bytes``, bytes that are not UTF-8, text that is not JSON (including
    NaN/Infinity, duplicate member names and nesting too deep to parse) and JSON that is not an
    object. Schema validation is ``validate_document``'s job.
    """
    if len(raw) > max_bytes:
        message = f"body of {len(raw)} bytes exceeds the limit of {max_bytes} bytes"
        raise EpcisValidationError([Issue("", "maxBytes", message)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"body is not UTF-8: invalid byte at offset {exc.start}"
        raise EpcisValidationError([Issue("", "encoding", message)]) from None
    try:
        # Duplicate member names are refused: which one wins differs between parsers, and the
        # event hash must not depend on it.
        document = loads_strict(text, "EPCIS document")
    except FormatError as exc:
        raise EpcisValidationError([Issue("", "json", _json_message(exc.__cause__))]) from None
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise EpcisValidationError([Issue("", "type", f"expected a JSON object, got {kind}")])
    return document


def _json_message(cause: BaseException | None) -> str:
    if isinstance(cause, json.JSONDecodeError):
        return f"invalid JSON at line {cause.lineno} column {cause.colno}: {cause.msg}"
    if isinstance(cause, RecursionError):
        return "JSON nested too deep"
    return f"invalid JSON: {cause}"  # duplicate names, NaN/Infinity, integers too long


def events_pointer(document: Mapping[str, Any]) -> str:
    """JSON pointer of the event list: EPCISDocument or EPCISQueryDocument layout."""
    kind = document.get("type")
    if kind == "EPCISDocument":
        return "/epcisBody/eventList"
    if kind == "EPCISQueryDocument":
        return "/epcisBody/queryResults/resultsBody/eventList"
    raise EpcisValidationError(
        [Issue("/type", "enum", f"{kind!r} is not EPCISDocument or EPCISQueryDocument")]
    )


def iter_events(document: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The events of a (validated) document, in document order.

    EPCISDocument: ``epcisBody.eventList``; EPCISQueryDocument:
    ``epcisBody.queryResults.resultsBody.eventList``. Raises ``EpcisValidationError`` when the
    list is missing or holds something other than objects.
    """
    pointer = events_pointer(document)
    node: Any = document
    for step in pointer.strip("/").split("/"):
        node = node.get(step) if isinstance(node, Mapping) else None
    if not isinstance(node, list):
        raise EpcisValidationError([Issue(pointer, "required", "the event list is missing")])
    for index, event in enumerate(node):
        if not isinstance(event, dict):
            raise EpcisValidationError([Issue(f"{pointer}/{index}", "type", "not an object")])
        yield event
