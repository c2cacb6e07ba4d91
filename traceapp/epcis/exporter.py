"""EPCIS 2.0 JSON-LD documents out of recorded events (``epcis export``, ``GET /epcis/events``).

Imported events carry their namespace prefixes as an event-level ``@context``; when every
event agrees on them, the prefixes move back up to the document's ``@context``, so a document
that was imported comes out looking like itself. Conflicting prefixes stay on their events,
which is equally valid JSON-LD. Either way each event hashes to the same eventID.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

__all__ = ["EPCIS_CONTEXT", "epcis_document", "format_time", "query_document"]

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def format_time(moment: datetime) -> str:
    """An EPCIS timestamp: UTC with milliseconds."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _hoist(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Move agreeing event-level prefix definitions up to the document."""
    merged: dict[str, str] = {}
    for event in events:
        context = event.get("@context")
        if context is None:
            continue
        if not isinstance(context, dict) or not all(isinstance(v, str) for v in context.values()):
            return events, {}
        for prefix, iri in context.items():
            if merged.setdefault(prefix, iri) != iri:
                return events, {}
    if not merged:
        return events, {}
    return [{k: v for k, v in e.items() if k != "@context"} for e in events], merged


def _header(kind: str, prefixes: dict[str, str], created: datetime | None) -> dict[str, Any]:
    context: list[Any] = [EPCIS_CONTEXT]
    if prefixes:
        context.append(prefixes)
    return {
        "@context": context,
        "type": kind,
        "schemaVersion": "2.0",
        "creationDate": format_time(created or datetime.now(UTC)),
    }


def epcis_document(
    events: Iterable[dict[str, Any]], *, created: datetime | None = None
) -> dict[str, Any]:
    """An EPCISDocument holding ``events``."""
    listed, prefixes = _hoist(list(events))
    document = _header("EPCISDocument", prefixes, created)
    document["epcisBody"] = {"eventList": listed}
    return document


def query_document(
    events: Iterable[dict[str, Any]],
    *,
    query_name: str = "SimpleEventQuery",
    created: datetime | None = None,
) -> dict[str, Any]:
    """An EPCISQueryDocument: the REST binding's answer to ``GET /events``."""
    listed, prefixes = _hoist(list(events))
    document = _header("EPCISQueryDocument", prefixes, created)
    document["epcisBody"] = {
        "queryResults": {"queryName": query_name, "resultsBody": {"eventList": listed}}
    }
    return document
