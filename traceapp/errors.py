"""The one base of every error a domain refuses a request with, and its one translation.

Each domain raises its own errors (``<domain>/errors.py``), subclasses of the kinds below;
the doors (GraphQL ``userErrors``, REST problem details, CLI messages) all read them through
``DomainError.problems``, so a client sees the same field, message and code everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: where (``field``, a dotted path or JSON pointer), why,
    and a stable machine-readable ``code``."""

    field: str | None
    message: str
    code: str


class DomainError(Exception):
    """A request the domain refuses; nothing it was part of is written."""

    code = "INVALID"

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def problems(self) -> list[Problem]:
        """What the client is told, one item per problem (most errors have one)."""
        return [Problem(self.field, self.message, self.code)]


class ValidationFailed(DomainError):
    code = "INVALID"


class NotFound(DomainError):
    code = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"


class PermissionDenied(DomainError):
    code = "FORBIDDEN"
