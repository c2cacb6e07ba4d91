"""The one base of every error a domain refuses a request with, and its one translation.

Each domain raises its own errors (``<domain>/errors.py``), subclasses of the kinds below;
the doors (GraphQL ``userErrors``, REST problem details, CLI messages) all read them through
``DomainError.problems``, so a client sees the same field, message and code everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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

    def __init__(
        self,
        message: str,
        field: str | None = None,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        # What a translated text of ``code`` fills in (the error text catalog's placeholders).
        self.params: dict[str, object] = dict(params or {})

    def problems(self, translate: Translate | None = None) -> list[Problem]:
        """What the client is told, one item per problem (most errors have one), in the
        client's language when ``translate`` knows the code (else the English message)."""
        message = translate(self.code, self.params) if translate else None
        return [Problem(self.field, message or self.message, self.code)]


# code, params -> the message in the client's language, or None when the code has no text.
Translate = Callable[[str, Mapping[str, object]], str | None]


class ValidationFailed(DomainError):
    code = "INVALID"


class NotFound(DomainError):
    code = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"


class PermissionDenied(DomainError):
    code = "FORBIDDEN"
