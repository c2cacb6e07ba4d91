"""Why a statistics read or a report's triage is refused (on the shared ``DomainError`` base)."""

from __future__ import annotations

from traceapp.errors import NotFound, PermissionDenied, ValidationFailed


class InvalidFilter(ValidationFailed):
    """A filter or a triage field is not one of its allowed values; ``field`` names it."""


class ReportNotFound(NotFound):
    """No report has this public ID."""


class MayNotTriage(PermissionDenied):
    """Only the office's admins and staff change a report's state; auditors read."""
