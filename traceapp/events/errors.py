"""What the events domain refuses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from traceapp.errors import AlreadyExists, NotFound, PermissionDenied, ValidationFailed

if TYPE_CHECKING:
    from traceapp.events.planning import EventPlan


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


class EventsRejected(EventInvalid):
    """All-or-nothing: some events were refused, so none was recorded."""

    def __init__(self, failures: Sequence[EventPlan]) -> None:
        self.failures = list(failures)
        first = self.failures[0]
        assert first.error is not None
        more = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
        # The first refusal's code: a bulk refused for ownership is FORBIDDEN, as one event is.
        super().__init__(
            f"{first.error.message}{more}", field=first.error.field, code=first.error.code
        )
