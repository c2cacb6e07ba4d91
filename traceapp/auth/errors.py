"""What the auth domain (API tokens) refuses."""

from __future__ import annotations

from traceapp.errors import ValidationFailed


class TokenInvalid(ValidationFailed):
    """A token's role and producer scope do not fit together."""
