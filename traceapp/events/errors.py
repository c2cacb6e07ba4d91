"""What the events domain refuses."""

from __future__ import annotations

from traceapp.errors import AlreadyExists, NotFound, PermissionDenied, ValidationFailed


class EventNotFound(NotFound):
    pass


class EventExists(AlreadyExists):
    """The eventID is recorded already."""


class ErrorAlreadyDeclared(AlreadyExists):
    """An errorDeclaration already retracts this event."""


class EventInvalid(ValidationFailed):
    """An event that is not a well-formed, storable EPCIS 2.0 event."""


class CorrectionForbidden(PermissionDenied):
    """Only an event's producer (or an admin) may declare an error on it."""
