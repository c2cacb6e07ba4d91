"""Turning an EPCISDocument or EPCISQueryDocument into the events we record.

Pure functions over parsed JSON: schema validation (every problem with its JSON pointer), the
events' eventIDs (ours when absent, checked when present), and the few changes that make each
stored event self-contained: the document's namespace prefixes travel with the event as its own
``@context`` (so extensions keep their meaning and hash alone), and ``recordTime``, which the
capturing repository sets, is dropped; EPCIS 1.x CBV URNs are upgraded to the CBV 2.0 URIs
they name. Everything else is kept exactly as received.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from traceapp.epcis.errors import EpcisError, EpcisValidationError, EventHashMismatch, Issue
from traceapp.epcis.event_hash import HashContext, check_event_id, event_hash
from traceapp.epcis.schema import (
    EVENT_TYPES,
    events_pointer,
    iter_events,
    validate_document,
)
from traceapp.epcis.vocabulary import upgraded

__all__ = ["MAX_EVENTS", "HashWarning", "PreparedDocument", "inline_context", "prepare_document"]

# As many events as the domain's bulk append takes in one transaction.
MAX_EVENTS = 10_000


@dataclass(frozen=True)
class HashWarning:
    """An eventID that claims to be a CBV 2.0 hash but is not ours: kept, and reported."""

    pointer: str
    expected: str
    found: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {
            "pointer": self.pointer,
            "rule": "eventHash",
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
        }


@dataclass
class PreparedDocument:
    """A validated document's events, ready for ``capture_epcis_events``.

    ``events[i]`` came from ``pointers[i]``; ``failures`` lists events refused here (only when
    the caller asked to proceed past errors), each with its issues.
    """

    kind: str
    events: list[dict[str, Any]] = field(default_factory=list)
    pointers: list[str] = field(default_factory=list)
    warnings: list[HashWarning] = field(default_factory=list)
    failures: dict[str, list[Issue]] = field(default_factory=dict)
    total: int = 0


def inline_context(document: Mapping[str, Any]) -> dict[str, str]:
    """The prefix definitions of a document's ``@context`` objects (URL entries add none)."""
    context = document.get("@context")
    items = context if isinstance(context, list) else [context]
    found: dict[str, str] = {}
    for item in items:
        if isinstance(item, dict):
            found.update((k, v) for k, v in item.items() if isinstance(v, str))
    return found


def _event_index(pointer: str, prefix: str) -> int | None:
    """The event a JSON pointer falls in, or None for a document-level pointer."""
    if not pointer.startswith(prefix + "/"):
        return None
    head = pointer[len(prefix) + 1 :].split("/", 1)[0]
    return int(head) if head.isdigit() else None


def _split_issues(
    error: EpcisValidationError, prefix: str
) -> tuple[list[Issue], dict[int, list[Issue]]]:
    document_level: list[Issue] = []
    by_event: dict[int, list[Issue]] = {}
    for issue in error.issues:
        index = _event_index(issue.pointer, prefix)
        if index is None:
            document_level.append(issue)
        else:
            by_event.setdefault(index, []).append(issue)
    return document_level, by_event


def _stored_form(event: dict[str, Any], prefixes: dict[str, str]) -> dict[str, Any]:
    stored = {k: v for k, v in event.items() if k != "recordTime"}
    if prefixes:
        own = stored.get("@context")
        if own is None:
            stored = {"@context": dict(prefixes), **stored}
        else:  # the event's own definitions still win, as in JSON-LD
            stored["@context"] = [dict(prefixes), *(own if isinstance(own, list) else [own])]
    return stored


def _identify(
    event: dict[str, Any], stored: dict[str, Any], context: HashContext, pointer: str
) -> HashWarning | None:
    """Set the stored event's eventID; a mismatching CBV hash ID is kept and reported."""
    try:
        computed = check_event_id(event, context)
    except EventHashMismatch as exc:
        return HashWarning(f"{pointer}/eventID", exc.computed, exc.event_id, exc.reason)
    if computed is None and "eventID" not in event:
        stored["eventID"] = event_hash(event, context)
    return None


def prepare_document(document: object, *, proceed: bool = False) -> PreparedDocument:
    """Validate ``document`` and prepare its events; raise ``EpcisValidationError`` if refused.

    Without ``proceed`` any problem refuses the whole document. With ``proceed`` only
    document-level problems do; an event with problems is left out and listed in ``failures``.
    EPCIS 1.x CBV URNs are upgraded to their CBV 2.0 URIs first (``epcis.vocabulary``).
    """
    document = upgraded(document)
    try:
        validate_document(document)
        schema_failures: dict[int, list[Issue]] = {}
    except EpcisValidationError as exc:
        if not proceed or exc.truncated or not isinstance(document, Mapping):
            raise
        try:
            prefix = events_pointer(document)
        except EpcisValidationError:
            raise exc from None
        document_level, schema_failures = _split_issues(exc, prefix)
        if document_level:
            raise
    assert isinstance(document, Mapping)
    prefix = events_pointer(document)
    events = list(iter_events(document))
    if not events:
        raise EpcisValidationError([Issue(prefix, "minItems", "the document holds no event")])
    if len(events) > MAX_EVENTS:
        message = f"{len(events)} events; at most {MAX_EVENTS} per document"
        raise EpcisValidationError([Issue(prefix, "maxItems", message)])
    context = HashContext.from_document(document)
    prefixes = inline_context(document)
    prepared = PreparedDocument(kind=str(document["type"]), total=len(events))
    refused: list[Issue] = []
    for index, event in enumerate(events):
        pointer = f"{prefix}/{index}"
        issues = schema_failures.get(index, [])
        if not issues and event.get("type") not in EVENT_TYPES:
            message = f"unsupported event type {event.get('type')!r}"
            issues = [Issue(f"{pointer}/type", "enum", message)]
        stored = _stored_form(event, prefixes)
        if not issues:
            try:
                warning = _identify(event, stored, context, pointer)
            except EpcisError as exc:  # an event the hash cannot read
                issues = [Issue(pointer, "eventHash", str(exc))]
            else:
                if warning is not None:
                    prepared.warnings.append(warning)
        if issues:
            refused.extend(issues)
            prepared.failures[pointer] = issues
            continue
        prepared.events.append(stored)
        prepared.pointers.append(pointer)
    if refused and not proceed:
        raise EpcisValidationError(refused)
    return prepared
