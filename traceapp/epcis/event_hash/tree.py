"""Steps 1 and 2 of the hash: an event as the reference's XML-shaped (name, text, children) tree.

Bare CBV names become web vocabulary URIs, JSON members become nodes with namespaced names, and
the JSON/XML model differences are corrected (reference ``json_to_py.py`` and
``json_xml_model_mismatch_correction.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from traceapp.epcis.event_hash.context import HashContext, expand_curie, vocabulary

# Keys dropped wherever they occur (reference ``_json_to_py``): comments carry no event data.
_IGNORED_KEYS = frozenset({"#text", "rdfs:comment", "comment"})

# Expanded GS1 vocabulary URIs that may replace a bare name (reference ``_bare_string_pre_preocessing``).
_GS1_VOCABULARY_BASES = (
    "https://ref.gs1.org/cbv",
    "https://gs1.org/voc",
    "https://ref.gs1.org/voc",
)


# --------------------------------------------------------------------------------------------
# Step 1: bare CBV names -> web vocabulary URIs
# --------------------------------------------------------------------------------------------


def _walk_strings(value: object, path: tuple[str, ...]) -> Iterable[tuple[tuple[str, ...], str]]:
    """Every string value with the path of member names leading to it (list indexes skipped)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for item in value:
            yield from _walk_strings(item, path)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk_strings(item, (*path, key))


def _vocabulary_candidates(
    event: Mapping[str, Any], context: HashContext
) -> tuple[frozenset[str], set[str]]:
    """The GS1 vocabulary URIs a JSON-LD expansion of the event would contain, and every
    string of the event."""
    terms = vocabulary().terms
    found: set[str] = set()
    texts: set[str] = set()
    for path, text in _walk_strings(event, ()):
        texts.add(text)
        known = terms.get(path)
        expanded = known.get(text, expand_curie(text, context.namespaces)) if known else text
        if expanded.startswith(_GS1_VOCABULARY_BASES):
            found.add(expanded)
    return frozenset(found), texts


def _any_bare_name(texts: set[str], candidates: frozenset[str]) -> bool:
    """Whether some string is what a candidate ends with after a ``-`` or ``/``."""
    return any(not texts.isdisjoint(_bare_names(candidate)) for candidate in candidates)


@lru_cache(maxsize=1024)  # candidates are vocabulary URIs: a small set
def _bare_names(candidate: str) -> frozenset[str]:
    return frozenset(candidate[i + 1 :] for i, char in enumerate(candidate) if char in "-/")


def _replace_bare_names(value: object, candidates: frozenset[str]) -> object:
    """Replace each string by the single candidate ending in ``-string`` or ``/string``."""
    if isinstance(value, str):
        matches = [c for c in candidates if c.endswith(("-" + value, "/" + value))]
        return matches[0] if len(matches) == 1 else value
    if isinstance(value, list):
        return [_replace_bare_names(item, candidates) for item in value]
    if isinstance(value, Mapping):
        return _with_vocabulary_uris(value, candidates)
    return value


def _with_vocabulary_uris(obj: Mapping[str, Any], candidates: frozenset[str]) -> dict[str, Any]:
    return {key: _replace_bare_names(item, candidates) for key, item in obj.items()}


# --------------------------------------------------------------------------------------------
# Step 2: JSON -> (name, text, children) tree in the reference's XML-shaped model
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    name: str
    text: str = ""
    children: list[Node] = field(default_factory=list)
    # A bizTransaction / source / destination entry: rendered as its type, then its value, with
    # no name of its own (the reference's (type, value) tuple).
    pair: bool = False


def _scalar_text(value: object, context: HashContext) -> str:
    if isinstance(value, bool):  # JSON true/false, written as XML Schema booleans
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str):
        return context.expand_value(value)
    return str(value)  # numbers; canonicalised later like any other text


def _is_skipped_key(key: str, context: HashContext) -> bool:
    # "@context" and other JSON-LD keywords are not event data; ignored repository fields are
    # compared in both written and expanded form.
    return (
        key in _IGNORED_KEYS
        or key.startswith("@")
        or key in context.ignored_fields
        or context.expand_name(key) in context.ignored_fields
    )


def _members(obj: Mapping[str, Any], context: HashContext) -> list[Node]:
    nodes: list[Node] = []
    for key, value in obj.items():
        if _is_skipped_key(key, context):
            continue
        name = context.expand_name(key)
        items = value if isinstance(value, list) else [value]
        nodes.extend(_node(name, item, context) for item in items)
    # The reference sorts members as tuples; only the order of same-name leaves can survive it.
    nodes.sort(key=lambda node: (node.name, node.text))
    return nodes


def _node(name: str, value: object, context: HashContext) -> Node:
    if isinstance(value, Mapping):
        return Node(name, children=_members(value, context))
    if isinstance(value, list):  # a list inside a list: anonymous members
        return Node(name, children=[_node("", item, context) for item in value])
    return Node(name, _scalar_text(value, context))


# --------------------------------------------------------------------------------------------
# Step 2b: the JSON/XML model corrections (reference json_xml_model_mismatch_correction.py)
# --------------------------------------------------------------------------------------------

_RENAMES = {
    "inputEPC": "epc",
    "outputEPC": "epc",
    "inputQuantity": "quantityElement",
    "outputQuantity": "quantityElement",
    "childQuantity": "quantityElement",
}
PAIR_NAMES = frozenset({"bizTransaction", "source", "destination"})


def _group_lists(children: list[Node]) -> list[Node]:
    """``xList: [a, b]`` -> ``xList`` holding ``x=a``, ``x=b``; ``childEPCs`` -> ``epc`` members."""
    kept: list[Node] = []
    groups: dict[str, list[Node]] = {}
    for child in children:
        if child.name.endswith("List"):
            member = Node(child.name[:-4], child.text, child.children)
            groups.setdefault(child.name, []).append(member)
        elif child.name == "childEPCs":
            groups.setdefault("childEPCs", []).append(Node("epc", child.text))
        else:
            kept.append(child)
    return kept + [Node(name, children=members) for name, members in groups.items()]


def _as_pair(node: Node) -> Node:
    """A transaction/source/destination entry as (type, value, anything else)."""
    types = [child for child in node.children if child.name == "type"]
    values = [child for child in node.children if child.name == node.name]
    rest = [child for child in node.children if child.name not in ("type", node.name)]
    return Node(node.name, children=types + values + rest, pair=True)


def _rename(node: Node) -> Node:
    if node.name in PAIR_NAMES and node.children:
        return _as_pair(node)
    if node.name in ("readPoint", "bizLocation") and node.text and not node.children:
        return Node(node.name, children=[Node("id", node.text)])  # EPCIS 1.x string form
    if node.name in _RENAMES or (node.name == "quantity" and node.children):
        return Node(_RENAMES.get(node.name, "quantityElement"), node.text, node.children)
    return node


def _correct(node: Node) -> Node:
    # In place: every node of the tree was made for this one hash.
    node.children = [_correct(child) for child in _group_lists(node.children)]
    return _rename(node)


def event_tree(event: Mapping[str, Any], context: HashContext) -> list[Node]:
    candidates, texts = _vocabulary_candidates(event, context)
    # Most events name their vocabulary in full: then there is nothing to replace or copy.
    replaced = (
        _with_vocabulary_uris(event, candidates) if _any_bare_name(texts, candidates) else event
    )
    return _correct(Node("", children=_members(replaced, context))).children
