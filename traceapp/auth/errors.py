"""What the auth domain (API tokens) refuses."""

from __future__ import annotations

from traceapp.errors import AlreadyExists, NotFound, PermissionDenied, ValidationFailed


class TokenInvalid(ValidationFailed):
    """A token's role and producer scope do not fit together."""


class TokenNotFound(NotFound):
    pass


class TokenRevoked(AlreadyExists):
    """The token was revoked already."""

    code = "TOKEN_REVOKED"


class TokenForbidden(PermissionDenied):
    """A producer manages its own tokens only."""
