"""What the keys domain (the log's trust chain) refuses."""

from __future__ import annotations

from traceapp.errors import AlreadyExists, NotFound, ValidationFailed


class KeyNotFound(NotFound):
    """No such key in the registry (or no genesis / service key yet)."""


class KeyExists(AlreadyExists):
    """The key is registered (or revoked) already."""


class KeyInvalid(ValidationFailed):
    """Not an Ed25519 vkey, an unknown role, or a revocation the trust chain forbids."""


class LogAlreadyStarted(AlreadyExists):
    """The genesis is written once: the log has entries."""


# What a concurrent duplicate's broken constraint answers: what the plan says to a sequential
# one (registered by the app, traceapp/refusals.py).
UNIQUE_REFUSALS = {
    "pk_actor_keys": lambda: KeyExists("this key is already registered", field="vkey"),
}
