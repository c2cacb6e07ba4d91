"""Identifiers and secrets for statements: random, or derived from an idempotency key.

A client that signs with its own key must sign the exact statement bytes before submitting them.
With an idempotency key, every random value in a statement (public IDs, serials, salts) is derived
from it with a server secret, so "prepare" and "submit" build byte-identical statements, and a
retried request rebuilds the same statement.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def base32(data: bytes, length: int) -> str:
    """``length`` Crockford base32 characters (5 bits each) from the start of ``data``."""
    value = int.from_bytes(data, "big")
    bits = len(data) * 8
    if length * 5 > bits:
        raise ValueError("not enough bytes")
    value >>= bits - length * 5
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(CROCKFORD[rem])
    return "".join(reversed(chars))


class IdSource:
    def __init__(self, seed: bytes | None = None) -> None:
        self._seed = seed
        self._counter = 0

    @classmethod
    def derived(cls, secret: bytes, actor: str, idempotency_key: str) -> IdSource:
        message = f"{actor}\x00{idempotency_key}".encode()
        return cls(hmac.new(secret, message, hashlib.sha256).digest())

    def token_bytes(self, n: int = 16) -> bytes:
        if self._seed is None:
            return secrets.token_bytes(n)
        if n > 32:
            raise ValueError("at most 32 derived bytes at a time")
        self._counter += 1
        block = hmac.new(self._seed, self._counter.to_bytes(8, "big"), hashlib.sha256).digest()
        return block[:n]

    def public_id(self, prefix: str) -> str:
        """An opaque public ID such as ``prd_5X9K...`` (80 random bits), never a database key."""
        return f"{prefix}_{base32(self.token_bytes(10), 16).lower()}"

    def serial(self) -> str:
        """A GS1 AI 21 serial: 12 Crockford base32 characters, 60 random bits (≥ 40 required)."""
        return base32(self.token_bytes(8), 12)

    def salt(self) -> bytes:
        return self.token_bytes(16)
