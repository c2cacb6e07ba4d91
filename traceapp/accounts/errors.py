"""What the accounts domain refuses: each error carries a text key for the console's message."""

from __future__ import annotations

from traceapp.errors import DomainError, NotFound, PermissionDenied, ValidationFailed


class PasswordRefused(ValidationFailed):
    """Too short, too long, or on the common-passwords list."""


class AccountInvalid(ValidationFailed):
    """A field of an account or an invitation that is not acceptable."""


class LoginTaken(AccountInvalid):
    code = "ALREADY_EXISTS"


class InvitationInvalid(NotFound):
    """Unknown, used or expired: the holder is told the same for each (no oracle)."""


class MayNotInvite(PermissionDenied):
    """Only an office admin invites owners, only an owner invites staff."""


class SignInRefused(DomainError):
    """Wrong login or password, a locked account, or a client over its limit."""

    code = "SIGN_IN_REFUSED"

    def __init__(self, message: str, reason: str, retry_after: int = 0) -> None:
        super().__init__(message, field="password")
        self.reason = reason
        self.retry_after = retry_after


class MayNotWrite(PermissionDenied):
    """A suspended account, or a role that writes nothing to the ledger."""
