"""What the recalls domain refuses."""

from __future__ import annotations

from traceapp.errors import ValidationFailed


class RecallInvalid(ValidationFailed):
    """A recall that names no batch."""
