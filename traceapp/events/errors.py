"""What the events domain refuses."""

from __future__ import annotations

from collections.abc import Sequence

from traceapp.errors import (
    AlreadyExists,
    DomainError,
    NotFound,
    PermissionDenied,
    Problem,
    Translate,
    ValidationFailed,
)


class EventNotFound(NotFound):
    pass


class EventExists(AlreadyExists):
    """The eventID is recorded already."""


class ErrorAlreadyDeclared(AlreadyExists):
    """An errorDeclaration already retracts this event."""


class EventInvalid(ValidationFailed):
    """An event that is not a well-formed, storable EPCIS 2.0 event."""


class UnknownVocabulary(EventInvalid):
    """A bizStep or disposition that is not a CBV 2.0 name (nor an extension URI)."""


class ImplausibleEvent(EventInvalid):
    """An event that cannot be right: in the future, or a step an item's state rules out
    (``docs/rules.md``)."""


class EventNotice(DomainError):
    """A step that may be right but looks odd (``docs/rules.md``): never raised, reported
    beside the recorded event."""

    code = "NOTICE"


class CorrectionForbidden(PermissionDenied):
    """Only an event's producer (or an admin) may declare an error on it."""


class EventsRejected(EventInvalid):
    """All-or-nothing: some events were refused, so none was recorded."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        # The first refusal's code: a bulk refused for ownership is FORBIDDEN, as one event is.
        super().__init__(
            f"{first.message}{more}", field=first.field, code=first.code, params=first.params
        )

    def problems(self, translate: Translate | None = None) -> list[Problem]:
        first = self.errors[0].problems(translate)[0]
        others = len(self.errors) - 1
        if not others:
            return [first]
        more = (translate(MORE_REFUSED, {"count": others}) if translate else None) or (
            f"and {others} more"
        )
        return [Problem(first.field, f"{first.message} ({more})", first.code)]


# The catalog key (events/error_texts.py) of "and N more" after a bulk's first refusal.
MORE_REFUSED = "EVENTS_REJECTED_MORE"


# What a concurrent duplicate's broken constraint answers: what the plan says to a sequential
# one (registered by the app, traceapp/refusals.py). Two requests sharing an idempotency key
# give their events the same public ID.
UNIQUE_REFUSALS = {
    "uq_events_event_id": lambda: EventExists("this event is already recorded", field="event"),
    "uq_events_public_id": lambda: EventExists("this event is already recorded", field="event"),
}
