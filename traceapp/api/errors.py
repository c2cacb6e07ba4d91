"""Error policy: which errors reach clients as they are, and which are masked.

Clients see three kinds of top-level errors, each with ``extensions.code``: GraphQL request errors
(syntax, validation, limits), authentication/authorisation refusals, and domain errors raised by a
query (e.g. a proof for a size the log has not reached). Anything else is an internal error: it is
logged with its traceback and the client gets a generic message, never exception text.
Mutations do not raise domain errors: they return them as ``userErrors`` (see mutations/).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql import GraphQLError
from traceapp.errors import DomainError, Translate

log = logging.getLogger("traceapp.api")

INTERNAL_MESSAGE = "Internal server error."
INVALID_INPUT_MESSAGE = "Invalid input value."


class ApiError(Exception):
    """An error the API raises on purpose: its message and code are safe to show."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# graphql-core and strawberry's limiters report these without a code; we name them.
_REQUEST_ERROR_CODES = (
    (re.compile(r"exceeds maximum operation depth"), "DEPTH_LIMIT_EXCEEDED"),
    (re.compile(r"\d+ aliases found\. Allowed: \d+"), "ALIAS_LIMIT_EXCEEDED"),
    (re.compile(r"Document contains more than \d+ tokens"), "TOKEN_LIMIT_EXCEEDED"),
    (re.compile(r"^Syntax Error"), "GRAPHQL_PARSE_FAILED"),
    (re.compile(r"introspection", re.IGNORECASE), "INTROSPECTION_DISABLED"),
)


def _request_error_code(message: str) -> str:
    for pattern, code in _REQUEST_ERROR_CODES:
        if pattern.search(message):
            return code
    return "GRAPHQL_VALIDATION_FAILED"


def reworded(error: GraphQLError, message: str, extensions: dict[str, Any] | None) -> GraphQLError:
    """The same error at the same place, with another message (and extensions), no cause."""
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def _with_code(error: GraphQLError, message: str, code: str) -> GraphQLError:
    return reworded(error, message, {**(error.extensions or {}), "code": code})


def present(error: GraphQLError, translate: Translate | None = None) -> GraphQLError:
    """The client-facing form of ``error`` (a domain error's message in the caller's language
    when ``translate`` is given)."""
    original = error.original_error
    if isinstance(original, ApiError):
        return _with_code(error, original.message, original.code)
    if isinstance(original, DomainError):
        problem = original.problems(translate)[0]
        extensions = {"field": problem.field} if problem.field else {}
        presented = _with_code(error, problem.message, problem.code)
        presented.extensions = {**(presented.extensions or {}), **extensions}
        return presented
    if original is None or isinstance(original, GraphQLError):
        if error.extensions and "code" in error.extensions:
            return error
        return _with_code(error, error.message, _request_error_code(error.message))
    if error.path is None:
        # A scalar refusing a literal or variable: the request is wrong, but the parser's
        # exception text is not ours to show.
        return _with_code(error, INVALID_INPUT_MESSAGE, "BAD_USER_INPUT")
    log.error("internal error in GraphQL resolver", exc_info=original)
    return _with_code(error, INTERNAL_MESSAGE, "INTERNAL_SERVER_ERROR")


class ErrorPolicy(SchemaExtension):
    """Rewrites every error of the result per ``present``: masks internals, adds codes."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            translate = getattr(self.execution_context.context, "translate", None)
            result.errors = [present(e, translate) for e in result.errors]
