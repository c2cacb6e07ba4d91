"""The shape of a GraphQL document (depth, aliases, fields, same-named fields), computed on
its fragment graph.

Each fragment is measured once and its figures reused at every spread, so a document whose
fragments spread each other twice (``F1 { ...F0 ...F0 } F2 { ...F1 ...F1 } ...``) costs one walk
of its text, not of its exponential expansion. Fragment cycles are refused before measuring.
Every walk counts its node visits against the request's ``Budget``, which also keeps a deadline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from traceapp.api.errors import ApiError

# A request may hold a worker this long, whatever it is (parse, limits, validation, execution).
REQUEST_SECONDS = 3.0
# Node visits of the limit walkers for one request: a multiple of the largest document's nodes.
MAX_VISITS = 200_000
_CLOCK_EVERY = 1024  # visits between two looks at the clock


class BudgetExceeded(ApiError):
    """The request used up its time or work budget: answered with an error of its own code."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "REQUEST_BUDGET_EXCEEDED")

    def as_graphql_error(self) -> GraphQLError:
        return GraphQLError(self.message, extensions={"code": self.code})


@dataclass
class Budget:
    """A request's deadline and count of node visits."""

    seconds: float = REQUEST_SECONDS
    max_visits: int = MAX_VISITS
    visits: int = 0
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def visit(self) -> None:
        self.visits += 1
        if self.visits > self.max_visits:
            raise BudgetExceeded(
                f"the request needs more than {self.max_visits} steps to check; send a smaller one"
            )
        if self.visits % _CLOCK_EVERY == 0:
            self.check()

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise self.expired()

    def expired(self) -> BudgetExceeded:
        return BudgetExceeded(f"the request took longer than its budget of {self.seconds:g} s")


@dataclass(frozen=True)
class Shape:
    """``depth``: fields nested in fields (introspection fields not counted); ``aliases`` and
    ``fields``: counted in the expanded operation, each spread counting its fragment again;
    ``names``: how many fields answer under each response name at the top of the selection
    (fragments merged in); ``pairs``: pairs of fields sharing a response name in the selections
    below the top, which graphql-core compares pairwise to check that they can be merged."""

    depth: int = 0
    aliases: int = 0
    fields: int = 0
    names: dict[str, int] = field(default_factory=dict)
    pairs: int = 0

    def all_pairs(self) -> int:
        """Pairs to compare, the top of the selection included."""
        return self.pairs + sum(n * (n - 1) // 2 for n in self.names.values())


_LEAF = Shape()


def _cycle(fragments: dict[str, FragmentDefinitionNode], budget: Budget) -> str | None:
    """The name of a fragment that spreads itself, directly or through others, if any."""
    spreads = {name: _spreads(f.selection_set, budget) for name, f in fragments.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in spreads:
        if state.get(start):
            continue
        stack = [(start, iter(spreads[start]))]
        state[start] = 1
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[name] = 2
                stack.pop()
            elif child in spreads:
                if state.get(child) == 1:
                    return child
                if not state.get(child):
                    state[child] = 1
                    stack.append((child, iter(spreads[child])))
    return None


def _spreads(node: SelectionSetNode, budget: Budget) -> list[str]:
    found: list[str] = []
    pending = [node]
    while pending:
        for selection in pending.pop().selections:
            budget.visit()
            if isinstance(selection, FragmentSpreadNode):
                found.append(selection.name.value)
            elif selection.selection_set is not None:  # type: ignore[attr-defined]
                pending.append(selection.selection_set)  # type: ignore[attr-defined]
    return found


class _Measure:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode], budget: Budget) -> None:
        self.fragments, self.budget = fragments, budget
        self.memo: dict[str, Shape] = {}

    def fragment(self, name: str) -> Shape:
        shape = self.memo.get(name)
        if shape is None:
            fragment = self.fragments.get(name)
            # Unknown fragments are the validator's to report. Cycles were refused before.
            shape = Shape() if fragment is None else self.selection_set(fragment.selection_set)
            self.memo[name] = shape
        return shape

    def selection_set(self, node: SelectionSetNode) -> Shape:
        depth = aliases = fields = pairs = 0
        names: dict[str, int] = {}
        for selection in node.selections:
            self.budget.visit()
            if isinstance(selection, FieldNode):
                children = selection.selection_set
                inner = _LEAF if children is None else self.selection_set(children)
                fields += 1 + inner.fields
                aliases += inner.aliases + (selection.alias is not None)
                key = (selection.alias or selection.name).value
                names[key] = names.get(key, 0) + 1
                if children is not None:
                    pairs += inner.all_pairs()
                    if not selection.name.value.startswith("__"):
                        depth = max(depth, 1 + inner.depth)
            else:
                if isinstance(selection, InlineFragmentNode):
                    inner = self.selection_set(selection.selection_set)
                else:
                    assert isinstance(selection, FragmentSpreadNode)
                    inner = self.fragment(selection.name.value)
                depth = max(depth, inner.depth)
                aliases += inner.aliases
                fields += inner.fields
                pairs += inner.pairs
                for key, count in inner.names.items():  # merged into this selection
                    self.budget.visit()
                    names[key] = names.get(key, 0) + count
        return Shape(depth, aliases, fields, names, pairs)


def limit_errors(
    document: DocumentNode,
    budget: Budget,
    *,
    max_depth: int,
    max_aliases: int,
    max_fields: int,
    max_pairs: int,
) -> list[GraphQLError]:
    """Errors for a document over a limit, or with a fragment cycle; measured in one walk."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    cyclic = _cycle(fragments, budget)
    if cyclic is not None:
        return [
            GraphQLError(
                f"Cannot spread fragment '{cyclic}' within itself.",
                extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
            )
        ]
    measure = _Measure(fragments, budget)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    shapes = [(o, measure.selection_set(o.selection_set)) for o in operations]
    errors = [
        GraphQLError(
            f"'{o.name.value if o.name else 'anonymous'}' exceeds maximum operation depth"
            f" of {max_depth}",
            [o],
            extensions={"code": "DEPTH_LIMIT_EXCEEDED"},
        )
        for o, shape in shapes
        if shape.depth > max_depth
    ]
    aliases = sum(shape.aliases for _, shape in shapes)
    if aliases > max_aliases:
        errors.append(
            GraphQLError(
                f"{aliases} aliases found. Allowed: {max_aliases}",
                extensions={"code": "ALIAS_LIMIT_EXCEEDED"},
            )
        )
    # Unused fragments count too: the validator walks them.
    fields = sum(shape.fields for _, shape in shapes) + sum(
        measure.fragment(name).fields for name in fragments
    )
    if fields > max_fields:
        errors.append(
            GraphQLError(
                f"{fields} fields found. Allowed: {max_fields}",
                extensions={"code": "FIELD_LIMIT_EXCEEDED"},
            )
        )
    # Fields under one response name are compared pairwise (each pair ~40 µs): 450 copies of
    # `viewer { role }` took 4 s to validate.
    pairs = sum(shape.all_pairs() for _, shape in shapes) + sum(
        measure.fragment(name).all_pairs() for name in fragments
    )
    if pairs > max_pairs:
        errors.append(
            GraphQLError(
                f"{pairs} pairs of fields share a response name. Allowed: {max_pairs}",
                extensions={"code": "FIELD_LIMIT_EXCEEDED"},
            )
        )
    return errors
