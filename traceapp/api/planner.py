"""Eager loading planned from the selection set: no lazy loads, no N+1.

Every relationship of the domain models is ``lazy="raise"``: touching one that was not loaded is a
bug that fails loudly. Each GraphQL object type declares, per field, the relationship path that
field reads (``LOADS``); the planner walks the query's selections and turns the selected ones into
loader options: ``joinedload`` for many-to-one hops (same statement), ``selectinload`` for
collections (one more statement, whatever the number of rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from sqlalchemy.orm import QueryableAttribute, joinedload, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


@dataclass(frozen=True)
class Rel:
    """A field's relationship path, and the GraphQL type planned below its last hop."""

    path: tuple[QueryableAttribute[Any], ...]
    child: type[Planned] | None = None


class Planned(Protocol):
    LOADS: ClassVar[dict[str, Rel]]


def graphql_name(cls: type[Any]) -> str:
    name: str = cls.__strawberry_definition__.name
    return name


def fields_of(selections: Iterable[Selection], type_name: str | None) -> Iterator[SelectedField]:
    """The fields selected on ``type_name`` (None: any type), through fragments that apply."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, InlineFragment | FragmentSpread):
            condition = selection.type_condition
            if type_name is None or not condition or condition in (type_name, "Node"):
                yield from fields_of(selection.selections, type_name)


def child_selections(selections: Iterable[Selection], *path: str) -> list[Selection]:
    """Selections under a path of field names (any alias), merged: e.g. edges → node."""
    current: list[Selection] = list(selections)
    for name in path:
        nxt: list[Selection] = []
        for field in fields_of(current, None):
            if field.name == name:
                nxt.extend(field.selections)
        current = nxt
    return current


def _hop(loader: _AbstractLoad | None, attribute: QueryableAttribute[Any]) -> _AbstractLoad:
    many = bool(getattr(attribute.property, "uselist", False))
    if loader is None:
        return selectinload(attribute) if many else joinedload(attribute)
    return loader.selectinload(attribute) if many else loader.joinedload(attribute)


def plan(node_type: type[Any], selections: Sequence[Selection]) -> list[_AbstractLoad]:
    """Loader options for rows of ``node_type`` given what the query selects on them."""
    loads: dict[str, Rel] = getattr(node_type, "LOADS", {})
    if not loads:
        return []
    options: list[_AbstractLoad] = []
    for field in fields_of(selections, graphql_name(node_type)):
        rel = loads.get(field.name)
        if rel is None:
            continue
        loader: _AbstractLoad | None = None
        for attribute in rel.path:
            loader = _hop(loader, attribute)
        assert loader is not None
        if rel.child is not None:
            sub = plan(rel.child, field.selections)
            if sub:
                loader = loader.options(*sub)
        options.append(loader)
    return options
