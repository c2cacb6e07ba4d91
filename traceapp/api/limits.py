"""Request limits: tokens, depth, aliases, fields and a cost rule, all refused before execution.

Cheapest first: the parser stops at ``MAX_TOKENS``; fragment cycles, depth, aliases and fields are
measured on the fragment graph, each fragment once (``shape``), before graphql-core validates the
document; the cost comes last, as it depends on the variables. A ``Budget`` (deadline and count of
node visits) bounds every walk, so no request holds a worker for long whatever it is.

One extension applies them all (``DocumentLimits``): strawberry builds every extension and wraps
each of its hooks per request, which cost more than the checks themselves once parsing and
validation are cached.

The cost of an operation estimates the rows it can touch: an object field costs 1 plus its
children; a plain list multiplies that by ``LIST_FACTOR``; a connection multiplies its edges by
``first`` (``DEFAULT_FIRST`` when absent, ``MAX_FIRST`` when it cannot be known). The figure is
reported in ``extensions.cost`` of every response.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from strawberry.extensions import ParserCache
from strawberry.schema.schema import validate_document

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from traceapp.api.shape import Budget, BudgetExceeded, limit_errors

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5_000
MAX_COST = 10_000
# Fields of the expanded operations (and fragments): the largest documented operation has 105.
MAX_FIELDS = 1_000
# Pairs of fields under one response name in a selection, which validation compares pairwise.
MAX_FIELD_PAIRS = 2_000
# Parsed documents kept: apps send the same operations again and again.
PARSED_MAX = 1024
MAX_FIRST = 100
DEFAULT_FIRST = 20
LIST_FACTOR = 10

Composite = GraphQLObjectType | GraphQLInterfaceType


def _unwrap(type_: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        if isinstance(type_, GraphQLList):
            is_list = True
        type_ = type_.of_type
    return type_, is_list


def _first(field: FieldNode, variables: dict[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            raw = variables.get(value.name.value, DEFAULT_FIRST)
            return raw if isinstance(raw, int) and not isinstance(raw, bool) else MAX_FIRST
        return MAX_FIRST
    return DEFAULT_FIRST


class _Coster:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        budget: Budget,
    ) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables
        self.budget = budget
        # A fragment spread many times costs one walk (no exponential blow-up).
        self.memo: dict[tuple[str, str, int | None], int] = {}

    def selection_set(
        self,
        node: SelectionSetNode | None,
        parent: Composite,
        page: int | None,
        seen: frozenset[str],
    ) -> int:
        if node is None:
            return 0
        total = 0
        for selection in node.selections:
            self.budget.visit()
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page, seen)
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    named = self.schema.get_type(selection.type_condition.name.value)
                    target = named if isinstance(named, Composite) else parent
                total += self.selection_set(selection.selection_set, target, page, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:  # cycles are the validator's to report
                    continue
                named = self.schema.get_type(fragment.type_condition.name.value)
                target = named if isinstance(named, Composite) else parent
                key = (name, target.name, page)
                if key not in self.memo:
                    self.memo[key] = self.selection_set(
                        fragment.selection_set, target, page, seen | {name}
                    )
                total += self.memo[key]
        return total

    def field(
        self, node: FieldNode, parent: Composite, page: int | None, seen: frozenset[str]
    ) -> int:
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return 0
        named, is_list = _unwrap(definition.type)
        if not isinstance(named, Composite):
            return 0
        inner_page = _first(node, self.variables) if named.name.endswith("Connection") else None
        cost = 1 + self.selection_set(node.selection_set, named, inner_page, seen)
        if is_list:
            cost *= page if page is not None else LIST_FACTOR
        return cost


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    budget: Budget | None = None,
) -> int:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return 0  # graphql-core reports the ambiguity
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    coster = _Coster(schema, fragments, variables or {}, budget or Budget())
    return coster.selection_set(operation.selection_set, root, None, frozenset())


_VALIDATED: dict[tuple[int, str], list[GraphQLError]] = {}
_VALIDATED_MAX = 1024


def _checked(
    schema: GraphQLSchema, document: DocumentNode, rules: Any, budget: Budget
) -> list[GraphQLError]:
    errors = limit_errors(
        document,
        budget,
        max_depth=MAX_DEPTH,
        max_aliases=MAX_ALIASES,
        max_fields=MAX_FIELDS,
        max_pairs=MAX_FIELD_PAIRS,
    )
    if errors:
        return errors
    budget.check()
    return list(validate_document(schema, document, rules))


def _validated(
    schema: GraphQLSchema, document: DocumentNode, query: str | None, rules: Any, budget: Budget
) -> list[GraphQLError]:
    """The limits, then graphql-core validation, remembered per query text: apps send the same
    few operations over and over, and validating one costs more than running a simple
    mutation's resolvers. A text not seen yet (another operation name, say) is checked in time
    linear in its size. The rules depend only on the schema and the document, never on
    variables."""
    if query is None:
        return _checked(schema, document, rules, budget)
    key = (id(schema), query)
    errors = _VALIDATED.get(key)
    if errors is None:
        errors = _checked(schema, document, rules, budget)
        if len(_VALIDATED) >= _VALIDATED_MAX:
            _VALIDATED.clear()
        _VALIDATED[key] = errors
    return list(errors)


class DocumentLimits(ParserCache):
    """Parses through the shared cache with the token limit; checks fragment cycles, depth,
    aliases and fields on the fragment graph; validates (cached) with graphql-core's rules; then
    computes the operation's cost and refuses it above ``MAX_COST``.

    ``rules`` are further validation rules (introspection off). Built per request: it keeps the
    request's cost and its budget, which starts here and is checked by the limit walkers, after
    validation and at every field resolution.
    """

    def __init__(
        self, rules: Sequence[type[ASTValidationRule]] = (), max_cost: int = MAX_COST
    ) -> None:
        super().__init__(maxsize=PARSED_MAX)
        self.rules = tuple(rules)
        self.max_cost = max_cost
        self.cost: int | None = None
        self.budget = Budget()

    def on_parse(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = MAX_TOKENS
        yield from super().on_parse()

    def on_validate(self) -> Iterator[None]:
        # Limits and validation first (depth, aliases, fragment cycles ... are reported as such),
        # then cost: strawberry skips its own validation when the errors are already set, and
        # skips execution when they are not empty.
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            try:
                errors = self._errors(document)
            except BudgetExceeded as exceeded:
                errors = [exceeded.as_graphql_error()]
            context.pre_execution_errors = errors
        yield

    def _errors(self, document: DocumentNode) -> list[GraphQLError]:
        context = self.execution_context
        schema = context.schema._schema
        rules = context.validation_rules + self.rules
        errors = _validated(schema, document, context.query, rules, self.budget)
        if errors:
            return errors
        variables = context.variables if isinstance(context.variables, dict) else {}
        self.cost = operation_cost(schema, document, context.operation_name, variables, self.budget)
        if self.cost > self.max_cost:
            return [
                GraphQLError(
                    f"query cost {self.cost} exceeds the limit of {self.max_cost}"
                    " (lower `first` or select fewer nested lists)",
                    extensions={"code": "COST_LIMIT_EXCEEDED"},
                )
            ]
        self.budget.check()
        return []

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        # Every resolution looks at the clock: a request that passed every limit still stops
        # at its deadline.
        if time.monotonic() > self.budget.deadline:
            raise self.budget.expired()
        return _next(root, info, *args, **kwargs)

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "limit": self.max_cost}}
