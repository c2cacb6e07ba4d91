"""EPCIS 1.x CBV URNs read as the CBV 2.0 web URIs they name.

CBV 2.0 §8.2 keeps the 1.x URNs (``urn:epcglobal:cbv:bizstep:receiving``) as equivalents of the
web URIs (``https://ref.gs1.org/cbv/BizStep-receiving``), but GS1's EPCIS 2.0 JSON schema
refuses them (``vocab-other-uri``). A capture or an import written against EPCIS 1.2 is therefore
rewritten to the 2.0 form before validation: the value means the same, and the CBV event hash
(which upgrades URNs itself) is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traceapp.epcis.event_hash.values import web_vocabulary

__all__ = ["CBV_URN", "upgrade_document", "upgrade_event", "upgrade_value", "upgraded"]

CBV_URN = "urn:epcglobal:cbv:"
_VALUE_FIELDS = ("bizStep", "disposition")
_TYPED_LISTS = ("bizTransactionList", "sourceList", "destinationList")


def upgrade_value(value: object) -> object:
    """A CBV 1.x URN as its CBV 2.0 web URI; anything else unchanged."""
    if isinstance(value, str) and value.startswith(CBV_URN):
        return web_vocabulary(value)
    return value


def upgrade_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``event`` with its CBV URNs (steps, dispositions, types, reasons) upgraded."""
    upgraded = dict(event)
    for key in _VALUE_FIELDS:
        if key in upgraded:
            upgraded[key] = upgrade_value(upgraded[key])
    for key in _TYPED_LISTS:
        entries = upgraded.get(key)
        if isinstance(entries, list):
            upgraded[key] = [
                {**entry, "type": upgrade_value(entry["type"])}
                if isinstance(entry, Mapping) and "type" in entry
                else entry
                for entry in entries
            ]
    declaration = upgraded.get("errorDeclaration")
    if isinstance(declaration, Mapping) and "reason" in declaration:
        upgraded["errorDeclaration"] = {
            **declaration,
            "reason": upgrade_value(declaration["reason"]),
        }
    return upgraded


def upgrade_document(document: object, pointer: str) -> object:
    """``document`` with every event under ``pointer`` upgraded; other shapes unchanged.

    Only the path to the event list is copied, so a 20 MB document is not duplicated.
    """
    steps = pointer.strip("/").split("/")

    def rebuild(node: object, depth: int) -> object:
        if depth == len(steps):
            if not isinstance(node, list):
                return node
            return [upgrade_event(e) if isinstance(e, Mapping) else e for e in node]
        if not isinstance(node, Mapping) or steps[depth] not in node:
            return node
        return {**node, steps[depth]: rebuild(node[steps[depth]], depth + 1)}

    return rebuild(document, 0)


def upgraded(document: object) -> object:
    """An EPCISDocument or EPCISQueryDocument with its events' URNs upgraded; anything else (for
    the schema check to refuse) unchanged. What every door runs before ``validate_document``."""
    if not isinstance(document, Mapping):
        return document
    kind = document.get("type")
    if kind == "EPCISDocument":
        return upgrade_document(document, "/epcisBody/eventList")
    if kind == "EPCISQueryDocument":
        return upgrade_document(document, "/epcisBody/queryResults/resultsBody/eventList")
    return document
