"""What the hash needs from outside the event: the EPCIS JSON-LD context's vocabulary and
namespace prefixes, and a document's own prefixes and ignored fields (``HashContext``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

# Where each @vocab-typed field of an event keeps its term list inside epcis-context.jsonld.
_VOCABULARY_PATHS: Mapping[tuple[str, ...], tuple[str | int, ...]] = {
    ("bizStep",): ("bizStep", "@context"),
    ("disposition",): ("disposition", "@context"),
    ("persistentDisposition", "set"): ("persistentDisposition", "@context", 0),
    ("persistentDisposition", "unset"): ("persistentDisposition", "@context", 0),
    ("bizTransactionList", "type"): ("bizTransactionList", "@context", "type", "@context"),
    ("sourceList", "type"): ("sourceList", "@context", "type", "@context"),
    ("destinationList", "type"): ("destinationList", "@context", "type", "@context"),
    ("errorDeclaration", "reason"): ("errorDeclaration", "@context", "reason", "@context"),
    **{
        ("sensorElementList", "sensorReport", name): (
            "sensorElementList",
            "@context",
            "sensorReport",
            "@context",
            name,
            "@context",
        )
        for name in ("type", "exception", "component")
    },
}


@dataclass(frozen=True)
class Vocabulary:
    prefixes: Mapping[str, str]
    terms: Mapping[tuple[str, ...], Mapping[str, str]]


def _load_context() -> dict[str, Any]:
    text = resources.files("traceapp.epcis").joinpath("schemas/epcis-context.jsonld").read_text()
    context: dict[str, Any] = json.loads(text)["@context"]
    return context


def _context_prefixes(context: Mapping[str, Any]) -> dict[str, str]:
    # A JSON-LD prefix is a term bound to an IRI ending in a gen-delim; that is how
    # epcis-context.jsonld declares epcis, cbv, cbvmda, gs1, rdfs, owl, xsd and dcterms.
    return {
        name: iri
        for name, iri in context.items()
        if isinstance(iri, str) and not name.startswith("@") and iri.endswith(("/", "#", ":"))
    }


def _term_list(context: Mapping[str, Any], path: tuple[str | int, ...]) -> Mapping[str, Any]:
    node: Any = context
    for step in path:
        node = node[step]
    if not isinstance(node, dict):
        raise ValueError(f"epcis-context.jsonld: no term list at {path}")
    return node


@cache
def vocabulary() -> Vocabulary:
    context = _load_context()
    prefixes = _context_prefixes(context)
    terms: dict[tuple[str, ...], dict[str, str]] = {}
    for position, path in _VOCABULARY_PATHS.items():
        terms[position] = {
            term: expanded
            for term, curie in _term_list(context, path).items()
            if isinstance(curie, str) and not term.startswith("@")
            if (expanded := expand_curie(curie, prefixes)) != curie
        }
    return Vocabulary(prefixes=prefixes, terms=terms)


def expand_curie(text: str, prefixes: Mapping[str, str]) -> str:
    """``cbv:BizStep-shipping`` -> ``https://ref.gs1.org/cbv/BizStep-shipping``; else unchanged."""
    prefix, colon, local = text.partition(":")
    if colon and prefix in prefixes:
        return prefixes[prefix] + local
    return text


def _prefixes_of(json_ld_context: object) -> dict[str, str]:
    """Prefix definitions of a document's ``@context`` (its inline objects; URLs add none)."""
    items = json_ld_context if isinstance(json_ld_context, list) else [json_ld_context]
    found: dict[str, str] = {}
    for item in items:
        if isinstance(item, dict):
            found.update(
                (name, iri)
                for name, iri in item.items()
                if isinstance(iri, str) and not name.startswith("@")
            )
    return found


@dataclass(frozen=True)
class HashContext:
    """What the hash needs from outside the event: namespace prefixes and ignored fields.

    ``namespaces`` maps prefixes to IRIs: the EPCIS context's standard prefixes overlaid with the
    document's ``@context`` objects. ``ignored_fields`` holds the expanded names
    (``{https://repository-x.example.com/}hash``) of repository fields a document declares with
    ``ignoreFields`` (a top-level or ``queryResults`` member named ``ignoreFields`` or
    ``<prefix>:ignoreFields``, as in the reference's vectors); they are left out of the hash.
    """

    namespaces: Mapping[str, str]
    ignored_fields: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> HashContext:
        """The context for events of an EPCISDocument or EPCISQueryDocument."""
        base = default_context().with_json_ld_context(document.get("@context"))
        declared = list(_ignore_declarations(document, base.namespaces))
        if not declared:
            return base
        return HashContext(base.namespaces, base.ignored_fields | frozenset(declared))

    def with_json_ld_context(self, json_ld_context: object) -> HashContext:
        """This context with the prefixes of another ``@context`` value laid over it."""
        added = _prefixes_of(json_ld_context)
        if not added:
            return self
        return HashContext({**self.namespaces, **added}, self.ignored_fields)

    def expand_name(self, name: str) -> str:
        """``ex:field`` -> ``{https://ns.example.com/}field`` when ``ex`` is a known prefix."""
        prefix, colon, local = name.partition(":")
        if colon and prefix in self.namespaces:
            return "{" + self.namespaces[prefix] + "}" + local
        return name

    def expand_value(self, value: str) -> str:
        """Expand a CURIE value, but only into GS1 vocabularies (reference, 2025 json_to_py).

        A user-namespace CURIE stays as written, which is what the XML form of the same event
        hashes to.
        """
        prefix, colon, local = value.partition(":")
        iri = self.namespaces.get(prefix) if colon else None
        if iri is not None and iri.startswith(("https://ref.gs1.org", "https://gs1.org")):
            return iri + local
        return value


@cache
def default_context() -> HashContext:
    """Namespaces of the EPCIS 2.0 JSON-LD context, nothing ignored."""
    return HashContext(namespaces=dict(vocabulary().prefixes))


def _ignore_declarations(
    document: Mapping[str, Any], namespaces: Mapping[str, str]
) -> Iterable[str]:
    scopes: list[object] = [document]
    body = document.get("epcisBody")
    if isinstance(body, dict):
        scopes.append(body.get("queryResults"))
    context = HashContext(namespaces)
    for scope in scopes:
        if not isinstance(scope, dict):
            continue
        for key, value in scope.items():
            is_declaration = key == "ignoreFields" or key.endswith(":ignoreFields")
            if is_declaration and isinstance(value, list):
                yield from (context.expand_name(name) for name in value if isinstance(name, str))
