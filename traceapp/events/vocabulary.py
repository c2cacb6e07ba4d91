"""CBV 2.0 business steps and dispositions: a misspelt name is refused with a suggestion.

A short name (``shipping``) or a name under GS1's own namespaces
(``https://ref.gs1.org/cbv/BizStep-shipping``, ``urn:epcglobal:cbv:bizstep:shipping``) must be
one of the CBV 2.0 names (GS1 CBV 2.0 §7.1, §7.2; the same lists as the EPCIS 2.0 JSON
schema's enums). Any other URI is a user extension and is kept as given.
"""

from __future__ import annotations

import difflib
from typing import Any

from traceapp.events.errors import UnknownVocabulary

BIZ_STEPS = frozenset(
    [
        "accepting",
        "arriving",
        "assembling",
        "collecting",
        "commissioning",
        "consigning",
        "creating_class_instance",
        "cycle_counting",
        "decommissioning",
        "departing",
        "destroying",
        "disassembling",
        "dispensing",
        "encoding",
        "entering_exiting",
        "holding",
        "inspecting",
        "installing",
        "killing",
        "loading",
        "other",
        "packing",
        "picking",
        "receiving",
        "removing",
        "repackaging",
        "repairing",
        "replacing",
        "reserving",
        "retail_selling",
        "shipping",
        "staging_outbound",
        "stock_taking",
        "stocking",
        "storing",
        "transporting",
        "unloading",
        "unpacking",
        "void_shipping",
        "sensor_reporting",
        "sampling",
    ]
)
# Our own short names, older than this check: the consumer page has words for them
# (verification/texts.py) and the demo journeys harvest. Not CBV 2.0 names.
PROJECT_BIZ_STEPS = frozenset(("harvesting", "labelling", "transforming", "recalling"))
DISPOSITIONS = frozenset(
    [
        "active",
        "container_closed",
        "damaged",
        "destroyed",
        "dispensed",
        "disposed",
        "encoded",
        "expired",
        "in_progress",
        "in_transit",
        "inactive",
        "no_pedigree_match",
        "non_sellable_other",
        "partially_dispensed",
        "recalled",
        "reserved",
        "retail_sold",
        "returned",
        "sellable_accessible",
        "sellable_not_accessible",
        "stolen",
        "unknown",
        "available",
        "completeness_verified",
        "completeness_inferred",
        "conformant",
        "container_open",
        "mismatch_instance",
        "mismatch_class",
        "mismatch_quantity",
        "needs_replacement",
        "non_conformant",
        "unavailable",
    ]
)

# EPCIS field -> (code, allowed names, GS1 namespaces whose names must be in the list).
_VOCABULARIES = {
    "bizStep": (
        "UNKNOWN_BIZ_STEP",
        BIZ_STEPS | PROJECT_BIZ_STEPS,
        ("https://ref.gs1.org/cbv/BizStep-", "urn:epcglobal:cbv:bizstep:"),
    ),
    "disposition": (
        "UNKNOWN_DISPOSITION",
        DISPOSITIONS,
        ("https://ref.gs1.org/cbv/Disp-", "urn:epcglobal:cbv:disp:"),
    ),
}


def suggestion(name: str, names: frozenset[str]) -> str | None:
    """The known name ``name`` most likely meant: a close spelling, or one it starts."""
    close = difflib.get_close_matches(name.lower(), sorted(names), n=1, cutoff=0.6)
    if close:
        return close[0]
    starting = sorted(n for n in names if len(name) >= 3 and n.startswith(name.lower()))
    return starting[0] if starting else None


def check_vocabulary(value: object, key: str, field: str) -> None:
    """Refuse a bizStep or disposition that is not a CBV 2.0 name (extensions pass)."""
    if key not in _VOCABULARIES or not isinstance(value, str):
        return
    code, names, namespaces = _VOCABULARIES[key]
    name: str | None = value if ":" not in value else None
    for namespace in namespaces:
        if value.startswith(namespace):
            name = value[len(namespace) :]
    if name is None or name in names:
        return
    guess = suggestion(name, names)
    what = "business step" if key == "bizStep" else "disposition"
    message = f"{name!r} is not a CBV 2.0 {what}"
    if guess:
        message += f": did you mean {guess}?"
    else:
        message += "; give a CBV name or an extension as a full URI"
    raise UnknownVocabulary(
        message, field=field, code=code, params={"name": name, "suggestion": guess or ""}
    )


def check_event_vocabulary(event: dict[str, Any], index: int) -> None:
    for key in _VOCABULARIES:
        check_vocabulary(event.get(key), key, f"events.{index}.{key}")


def web_uri(key: str, stored: str | None) -> str | None:
    """A stored bizStep or disposition as its CBV 2.0 web URI (CBV 2.0 §8.2); our own project
    names and extensions as stored (they have no CBV URI)."""
    if stored is None or ":" in stored:
        return stored
    if key == "bizStep" and stored in BIZ_STEPS:
        return f"https://ref.gs1.org/cbv/BizStep-{stored}"
    if key == "disposition" and stored in DISPOSITIONS:
        return f"https://ref.gs1.org/cbv/Disp-{stored}"
    return stored
