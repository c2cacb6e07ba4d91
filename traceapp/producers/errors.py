"""What the producers domain refuses."""

from __future__ import annotations

from traceapp.errors import AlreadyExists, NotFound, PermissionDenied, ValidationFailed


class ProducerNotFound(NotFound):
    """No producer with this public ID, or it has no active signing key."""


class ProducerExists(AlreadyExists):
    """Another producer has this tax code or GLN."""


class ProducerInvalid(ValidationFailed):
    """A producer field breaks a rule of its own (e.g. a tax code that is not digits)."""


class NotProducersActor(PermissionDenied):
    """The signing key is neither an admin's nor the producer's own."""


# What a concurrent duplicate's broken constraint answers: what the plan says to a sequential
# one (registered by the app, traceapp/refusals.py).
UNIQUE_REFUSALS = {
    "uq_producers_tax_code": lambda: ProducerExists(
        "a producer with this tax code exists", field="taxCode"
    ),
    "uq_producers_gln": lambda: ProducerExists("a producer with this GLN exists", field="gln"),
}


class ProducerSuspended(PermissionDenied):
    """The producer is suspended by the programme office: its keys write nothing until resumed."""

    code = "PRODUCER_SUSPENDED"


class ProducerStatusUnchanged(ValidationFailed):
    """Suspending a suspended producer, or resuming an active one."""

    code = "STATUS_UNCHANGED"
