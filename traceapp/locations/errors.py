"""What the locations domain refuses."""

from __future__ import annotations

from traceapp.errors import AlreadyExists, NotFound


class LocationNotFound(NotFound):
    pass


class LocationExists(AlreadyExists):
    """The producer has a location with this code, or a location has this GLN."""
