"""Step 4 of the hash: the canonical pre-hash string of an event (CBV 2.0 section 8.9.2).

``eventType=<type>``, then the fields in the canonical property order (``name=value`` for
leaves, ``name`` followed by the children for structures, repeated fields sorted), then
everything else (business transactions, sources, destinations, ``ilmd``, user extensions) as
one sorted block.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traceapp.epcis.errors import UnsupportedEventType
from traceapp.epcis.event_hash.context import HashContext, default_context
from traceapp.epcis.event_hash.order import PROPERTY_POSITIONS, Field
from traceapp.epcis.event_hash.tree import PAIR_NAMES, Node, event_tree
from traceapp.epcis.event_hash.values import canonical_timestamp, canonical_value, is_time_field
from traceapp.epcis.schema import EVENT_TYPES

# Event fields that never enter the hash (CBV 2.0 section 8.9; reference
# ``_gather_elements_not_in_order``): the ID itself, capture metadata, and the error declaration,
# so that declaring an error keeps the event's hash ID.
_EXCLUDED_TOP_LEVEL = frozenset({"eventID", "recordTime", "errorDeclaration", "type"})


def _take_inline_extensions(nodes: list[Node]) -> list[Node]:
    """User extensions inside a standard structure are hashed at the end of that structure.

    Reference rules, kept as they are: only below the event level (a level holding a name with
    ``eventTime`` or ``action`` counts as the event level), only when the level has more than one
    member, and only names of namespaces ending in ``/``.
    """
    if len(nodes) <= 1 or any("eventTime" in n.name or "action" in n.name for n in nodes):
        return []
    extensions = [n for n in nodes if "{" in n.name and "/}" in n.name]
    taken = {id(n) for n in extensions}
    nodes[:] = [n for n in nodes if id(n) not in taken]
    return extensions


def _ordered(nodes: list[Node], positions: Mapping[str, tuple[int, Field]]) -> str:
    """Fields of ``nodes`` in the order of ``positions`` (a ``Field.positions``).

    Consumed nodes are removed; leftovers stay in ``nodes``.
    """
    extensions = _take_inline_extensions(nodes)
    by_name: dict[str, list[Node]] = {}
    for node in nodes:
        if not node.pair:
            by_name.setdefault(node.name, []).append(node)
    consumed: set[int] = set()
    parts: list[str] = []
    # Only the fields present, in the order's sequence: the orders list every field the
    # standard knows, while an event names a handful.
    present = sorted((positions[name] for name in by_name if name in positions), key=lambda p: p[0])
    for _position, spec in present:
        values = []
        for node in by_name[spec.name]:
            rendered = _render_ordered(node, spec)
            if rendered:
                values.append(rendered)
            if not node.children:  # fully hashed; a node with leftovers stays for the remainder
                consumed.add(id(node))
        parts.extend(sorted(values))  # repeated fields in lexical order
    nodes[:] = [n for n in nodes if id(n) not in consumed]
    if extensions:
        parts.append(_generic(extensions))
    return "".join(parts)


def _render_ordered(node: Node, spec: Field) -> str:
    inner = _ordered(node.children, spec.positions) if spec.children else ""
    text = node.text.strip()
    if text:
        text = canonical_timestamp(text) if is_time_field(node.name) else canonical_value(text)
    text = "=" + text if text else ""
    return node.name + text + inner if text or inner else ""


def _render_generic(node: Node) -> str:
    if node.pair:  # type first, then the value: no sorting inside a pair
        return "".join(_render_generic(child) for child in node.children)
    text = node.text.strip()
    text = "=" + canonical_value(text) if text else ""
    return node.name + text + _generic(node.children)


def _generic(nodes: list[Node]) -> str:
    """Whatever the property order did not consume, sorted (reference ``should_sort`` aside)."""
    values = [_render_generic(node) for node in nodes]
    unsorted = any(n.name in PAIR_NAMES and not n.pair for n in nodes)
    if len(nodes) > 1 and not unsorted:
        values.sort()
    return "".join(values)


def _event_type(event: Mapping[str, Any]) -> str:
    event_type = event.get("type") if isinstance(event, Mapping) else None
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        raise UnsupportedEventType(event_type)
    return event_type


def prehash_string(event: Mapping[str, Any], context: HashContext | None = None) -> str:
    """The canonical pre-hash string of one EPCIS 2.0 JSON-LD event (CBV 2.0 section 8.9.2).

    ``context`` supplies the document's namespaces and ignored fields
    (``HashContext.from_document``); by default only the EPCIS context's prefixes are known.
    Raises ``UnsupportedEventType`` for anything but the five EPCIS event types.
    """
    event_type = _event_type(event)
    context = (context or default_context()).with_json_ld_context(event.get("@context"))
    nodes = event_tree(event, context)
    ordered = _ordered(nodes, PROPERTY_POSITIONS)
    remainder = [n for n in nodes if n.name not in _EXCLUDED_TOP_LEVEL]
    return f"eventType={event_type}{ordered}{_generic(remainder)}"
