"""What the locations domain refuses."""

from __future__ import annotations

from traceapp.errors import AlreadyExists, NotFound, ValidationFailed


class LocationNotFound(NotFound):
    pass


class LocationInvalid(ValidationFailed):
    """An update that changes nothing, or a field a place keeps for life."""


class LocationExists(AlreadyExists):
    """The producer has a location with this code, or a location has this GLN."""


# What a concurrent duplicate's broken constraint answers: what the plan says to a sequential
# one (registered by the app, traceapp/refusals.py).
UNIQUE_REFUSALS = {
    "uq_locations_producer_id_code": lambda: LocationExists(
        "this producer already has a location with this code", field="code"
    ),
    "uq_locations_gln": lambda: LocationExists("a location with this GLN exists", field="gln"),
}
