"""Custodial private keys, AES-256-GCM encrypted at rest under TRACEAPP_KEY_ENCRYPTION_KEY."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from ledger.signing import Signer
from traceapp.errors import NotFound
from traceapp.ledger_store.models import CustodialKey


class KeyStore:
    """Creates and opens custodial keys. Decrypted signers are cached per process."""

    def __init__(self, kek: bytes) -> None:
        self._aead = AESGCM(kek)
        self._cache: dict[str, Signer] = {}

    def create(self, session: Session, name: str) -> Signer:
        seed = os.urandom(32)
        signer = Signer.from_seed(name, seed)
        nonce = os.urandom(12)
        # The key name is authenticated data: a ciphertext moved to another row will not open.
        ciphertext = self._aead.encrypt(nonce, seed, signer.key_name.encode())
        session.add(
            CustodialKey(
                key_name=signer.key_name,
                nonce=nonce,
                ciphertext=ciphertext,
                created_at=datetime.now(UTC),
            )
        )
        self._cache[signer.key_name] = signer
        return signer

    def signer(self, session: Session, key_name: str) -> Signer:
        cached = self._cache.get(key_name)
        if cached is not None:
            return cached
        row = session.get(CustodialKey, key_name)
        if row is None:
            raise NotFound(f"no custodial key {key_name!r} on this server", field="actor")
        try:
            seed = self._aead.decrypt(row.nonce, row.ciphertext, key_name.encode())
        except InvalidTag:
            raise RuntimeError(
                f"custodial key {key_name} does not decrypt: wrong TRACEAPP_KEY_ENCRYPTION_KEY?"
            ) from None
        signer = Signer.from_seed(key_name.rsplit("+", 1)[0], seed)
        self._cache[key_name] = signer
        return signer
