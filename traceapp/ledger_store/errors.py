"""Errors of the ledger store itself: a signature it refuses, an idempotency key reused."""

from __future__ import annotations

from traceapp.errors import DomainError


class SignatureRejected(DomainError):
    code = "BAD_SIGNATURE"


class IdempotencyConflict(DomainError):
    code = "IDEMPOTENCY_CONFLICT"
