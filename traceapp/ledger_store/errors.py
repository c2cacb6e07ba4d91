"""Errors of the ledger store and of every domain service built on it."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses. ``field`` and ``code`` become a GraphQL userError."""

    code = "INVALID"

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class ValidationFailed(DomainError):
    code = "INVALID"


class NotFound(DomainError):
    code = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"


class PermissionDenied(DomainError):
    code = "FORBIDDEN"


class SignatureRejected(DomainError):
    code = "BAD_SIGNATURE"


class IdempotencyConflict(DomainError):
    code = "IDEMPOTENCY_CONFLICT"


class LedgerNotInitialised(DomainError):
    code = "LEDGER_NOT_INITIALISED"
