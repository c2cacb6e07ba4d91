"""Ed25519 witness cosignatures, cosignature/v1 (c2sp.org/tlog-cosignature).

A cosignature is a note signature line on a checkpoint whose key ID uses signature type 0x04
and whose payload is `timestamp (u64, big-endian) || Ed25519 signature`. The signed message is
`cosignature/v1\\ntime <timestamp>\\n` followed by the checkpoint's whole note text.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.checkpoint import Checkpoint
from ledger.errors import FormatError, SignatureError
from ledger.keys import ED25519_SIGNATURE_SIZE, PublicNamedKey, verify_ed25519
from ledger.note import open_note, parse_note
from ledger.signing import PrivateNamedKey, add_signatures

COSIGNATURE_TYPE = 0x04
"""Signature type byte of timestamped Ed25519 cosignatures (c2sp.org/signed-note)."""

TIMESTAMP_SIZE = 8
MAX_TIMESTAMP = 2**63 - 1


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The cosignature/v1 signed message (c2sp.org/tlog-cosignature, "Ed25519 signed message").

    Header line, `time <decimal timestamp>` line, then the checkpoint note text with its final
    newline and any extension lines.
    """
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise FormatError(f"cosignature timestamp {timestamp} is outside 0..2^63-1")
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


class CosignatureVerifier(PublicNamedKey):
    """A witness's Ed25519 cosigning key (type 0x04), usable with `ledger.note.open_note`.

    Its `verify` takes the checkpoint note text and the signature-line payload after the key
    ID (`timestamp || signature`), as c2sp.org/tlog-cosignature "Format" lays it out.
    """

    signature_type = COSIGNATURE_TYPE
    __slots__ = ()

    def timestamp_of(self, signature: bytes) -> int:
        """The timestamp of a `timestamp || signature` payload, checking its length and range."""
        if len(signature) != TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE:
            raise SignatureError(
                f"cosignature by {self.key_name}: expected "
                f"{TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE} bytes, found {len(signature)}"
            )
        timestamp = int.from_bytes(signature[:TIMESTAMP_SIZE], "big")
        if timestamp > MAX_TIMESTAMP:
            raise SignatureError(f"cosignature by {self.key_name}: timestamp exceeds 2^63-1")
        return timestamp

    def verify(self, message: bytes, signature: bytes) -> None:
        """Verify a cosignature/v1 payload over checkpoint note text `message` (RFC 8032)."""
        timestamp = self.timestamp_of(signature)
        try:
            text = message.decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureError("cosigned checkpoint text is not UTF-8") from None
        signed = cosignature_message(text, timestamp)
        verify_ed25519(self._key, signed, signature[TIMESTAMP_SIZE:], self.key_name)


class CosignatureSigner(PrivateNamedKey):
    """A witness's Ed25519 cosigning key (type 0x04); `sign` returns `timestamp || signature`.

    The clock gives the POSIX timestamp to sign; tests pass a fixed one.
    """

    signature_type = COSIGNATURE_TYPE
    __slots__ = ("_clock",)

    def __init__(
        self,
        name: str,
        private_key: Ed25519PrivateKey,
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        super().__init__(name, private_key)
        self._clock = clock

    @property
    def verifier(self) -> CosignatureVerifier:
        """The matching CosignatureVerifier."""
        return CosignatureVerifier(self.name, self.public_key)

    def sign(self, message: bytes) -> bytes:
        """Cosign checkpoint note text `message`: `u64be timestamp || Ed25519 signature`."""
        timestamp = self._clock()
        signed = cosignature_message(message.decode("utf-8"), timestamp)
        return timestamp.to_bytes(TIMESTAMP_SIZE, "big") + self._sign_ed25519(signed)


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: the checkpoint it covers, who signed it, and when."""

    checkpoint: Checkpoint
    cosigner: str
    timestamp: int


def cosign(signed_checkpoint: str | bytes, cosigner: CosignatureSigner) -> str:
    """Append a cosignature/v1 line to a signed checkpoint (c2sp.org/tlog-cosignature).

    The checkpoint text is parsed first so only checkpoints are ever cosigned; the log's own
    signature is not checked here (a witness checks it, and consistency, before cosigning).
    """
    Checkpoint.parse(parse_note(signed_checkpoint).text)
    return add_signatures(signed_checkpoint, cosigner)


def verify_cosignature(
    signed_checkpoint: str | bytes, cosigner: CosignatureVerifier
) -> Cosignature:
    """Verify the cosigner's cosignature/v1 on a checkpoint (c2sp.org/tlog-cosignature).

    Other signature lines (the log's, other witnesses') are ignored, as the signed-note spec
    requires; the log signature is checked separately with `open_checkpoint`. Raises
    SignatureError if the cosigner did not cosign or its cosignature is invalid, FormatError
    if the note or checkpoint is malformed.
    """
    opened = open_note(signed_checkpoint, [cosigner])
    checkpoint = Checkpoint.parse(opened.text)
    timestamp = cosigner.timestamp_of(opened.verified[0].signature)
    return Cosignature(checkpoint, cosigner.key_name, timestamp)
