"""Why a report of a suspected fake is refused (on the shared ``DomainError`` base)."""

from __future__ import annotations

from traceapp.errors import DomainError, ValidationFailed


class InvalidReport(ValidationFailed):
    """A field of the report is missing, unknown or too long; ``field`` names it."""


class TooManyReports(DomainError):
    """The client sent too many reports lately; ``retry_after`` seconds until the next."""

    code = "RATE_LIMITED"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many reports; retry in {retry_after} s", field=None)
        self.retry_after = retry_after
