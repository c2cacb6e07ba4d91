"""Typed errors of the EPCIS package.

Every error carries enough to build an API answer without parsing the message: validation
errors list their issues as (JSON pointer, rule, message), hash mismatches carry both IDs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class EpcisError(Exception):
    """Base of every error raised by ``traceapp.epcis``."""


@dataclass(frozen=True, order=True)
class Issue:
    """One problem found in a document.

    ``pointer`` is an RFC 6901 JSON pointer into the submitted document (``""`` for the whole
    body, ``/epcisBody/eventList/0/eventTime`` for a field); ``rule`` is the failing rule (the
    JSON-schema keyword such as ``required``, ``pattern``, ``format``, or one of our own:
    ``json``, ``encoding``, ``maxBytes``); ``message`` is a short human-readable reason.
    """

    pointer: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message} [{self.rule}]"


class EpcisValidationError(EpcisError):
    """A document (or body) is not acceptable; ``issues`` lists every problem found."""

    def __init__(self, issues: Iterable[Issue], *, truncated: bool = False) -> None:
        self.issues: list[Issue] = list(issues)
        # True when more problems exist than were collected (see validate_document's max_issues).
        self.truncated = truncated
        shown = "; ".join(str(issue) for issue in self.issues[:5])
        more = len(self.issues) - 5
        suffix = f" (and {more} more)" if more > 0 else ""
        suffix += " (list truncated)" if truncated else ""
        super().__init__(f"invalid EPCIS document: {shown}{suffix}")


class EventHashMismatch(EpcisError):
    """An event's ``eventID`` is a CBV 2.0 hash ID that does not match the event's content."""

    def __init__(self, event_id: str, computed: str, reason: str = "") -> None:
        self.event_id = event_id
        self.computed = computed
        self.reason = reason or "eventID does not match the CBV 2.0 hash of the event"
        super().__init__(f"{self.reason}: eventID {event_id}, computed {computed}")


class UnsupportedEventType(EpcisError):
    """The event's ``type`` is missing or not one of the five EPCIS 2.0 event types."""

    def __init__(self, event_type: object) -> None:
        self.event_type = event_type
        super().__init__(f"unsupported EPCIS event type: {event_type!r}")
