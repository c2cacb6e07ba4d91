"""The ledger library's error hierarchy.

Verification never returns False: it raises one of these, with a message naming what was
checked, where, what was expected and what was found.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error raised by the ledger library."""


class FormatError(LedgerError):
    """Input is not well-formed (bad JSON, bad base64, not canonical, wrong field types)."""


class VerificationError(LedgerError):
    """Something well-formed failed a cryptographic or structural check."""


class ProofError(VerificationError):
    """An inclusion or consistency proof does not verify (RFC 9162 §2.1.3.2, §2.1.4.2)."""


class SignatureError(VerificationError):
    """A signature is missing, made by an unknown or revoked key, or does not verify."""


class ChainError(VerificationError):
    """An entry's `prev`, `seq` or `log` does not continue the log."""


class CheckpointError(VerificationError):
    """A checkpoint is malformed, unsigned by the log key, or does not match the tree."""
