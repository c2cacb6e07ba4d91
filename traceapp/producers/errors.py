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
