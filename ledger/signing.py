"""The writing side of the ledger formats: private keys, and what they sign and build.

The reference modules (ledger.keys, ledger.entry, ledger.note, ledger.checkpoint) only read
and verify; the log's server, its tests and tools write with these:

- `Signer`: an Ed25519 private key (RFC 8032), stored as Go's
  `PRIVATE+KEY+name+hex8+base64(type || seed)` string (golang.org/x/mod/sumdb/note), so keys
  made by `note.GenerateKey` interoperate; `PrivateNamedKey` is its base, shared with
  witness cosigners (ledger.cosignature);
- `format_recorded`, `sign_statement`, `build_entry`: a v1 entry's time, signature and bytes
  (DESIGN §5);
- `sign_note`, `add_signatures`: signed notes (c2sp.org/signed-note);
- `sign_checkpoint`: a checkpoint signed by the log key (c2sp.org/tlog-checkpoint).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any, Protocol, Self

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.checkpoint import Checkpoint
from ledger.entry import FORMAT_VERSION, Entry, encode_entry, statement_message
from ledger.errors import CheckpointError, FormatError
from ledger.keys import (
    ED25519_KEY_SIZE,
    ED25519_TYPE,
    NamedKey,
    Verifier,
    b64encode,
    check_key_id,
    read_key_material,
    validate_key_name,
)
from ledger.note import MAX_SIGNATURES, NoteSignature, ParsedNote, check_note_text, parse_note

_PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"


def _raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def _raw_seed(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


class PrivateNamedKey(NamedKey):
    """A NamedKey with its Ed25519 private key; its repr never shows the key (DESIGN §12)."""

    __slots__ = ("_private_key",)

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        super().__init__(name, _raw_public_key(private_key))
        self._private_key = private_key

    def _sign_ed25519(self, message: bytes) -> bytes:
        """A 64-byte RFC 8032 §5.1.6 Ed25519 signature over `message`."""
        return self._private_key.sign(message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key_name!r})"


class Signer(PrivateNamedKey):
    """A named Ed25519 private key that signs notes and statements (c2sp.org/signed-note, RFC 8032)."""

    __slots__ = ()

    @classmethod
    def generate(cls, name: str) -> Self:
        """A fresh random key (RFC 8032 §5.1.5 key generation, by `cryptography`)."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Self:
        """A key from its 32-byte RFC 8032 private key (seed)."""
        if len(seed) != ED25519_KEY_SIZE:
            raise FormatError(f"Ed25519 seed must be {ED25519_KEY_SIZE} bytes, found {len(seed)}")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_private_key_string(cls, skey: str) -> Self:
        """Parse `PRIVATE+KEY+name+hex8+base64(0x01 || seed)` (Go's sumdb/note signer key).

        The error messages never quote the key material.
        """
        if not skey.startswith(_PRIVATE_KEY_PREFIX):
            raise FormatError("private key string does not start with PRIVATE+KEY+")
        parts = skey[len(_PRIVATE_KEY_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise FormatError("private key string is not PRIVATE+KEY+<name>+<hex8>+<base64>")
        name, hex8, material_b64 = parts
        try:
            material = base64.b64decode(material_b64, validate=True)
        except (binascii.Error, ValueError):
            raise FormatError(f"private key {name}+{hex8}: key material is not base64") from None
        seed = read_key_material(name, hex8, material, ED25519_TYPE)
        signer = cls.from_seed(name, seed)
        check_key_id(name, bytes.fromhex(hex8), signer.public_key, ED25519_TYPE)
        return signer

    def to_private_key_string(self) -> str:
        """`PRIVATE+KEY+name+hex8+base64(0x01 || seed)`, for the key file only."""
        material = bytes([ED25519_TYPE]) + _raw_seed(self._private_key)
        return f"{_PRIVATE_KEY_PREFIX}{self.key_name}+{b64encode(material)}"

    @property
    def verifier(self) -> Verifier:
        """The matching Verifier."""
        return Verifier(self.name, self.public_key)

    def sign(self, message: bytes) -> bytes:
        """A 64-byte RFC 8032 §5.1.6 Ed25519 signature over `message`."""
        return self._sign_ed25519(message)


class NoteSigner(Protocol):
    """Something that signs note texts under a key name and key ID."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


def format_recorded(moment: datetime) -> str:
    """RFC 3339 UTC with exactly milliseconds, e.g. `2026-11-28T14:42:43.123Z` (DESIGN §5).

    Sub-millisecond digits are truncated, not rounded, so the result never lies in the future.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FormatError("recorded time must be timezone-aware")
    utc = moment.astimezone(UTC)
    # by hand, not strftime: glibc's %Y does not zero-pad years before 1000
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def sign_statement(signer: Signer, type: str, statement: dict[str, Any]) -> bytes:
    """The actor's RFC 8032 Ed25519 signature over the statement message (DESIGN §5)."""
    return signer.sign(statement_message(signer.key_name, type, statement))


def build_entry(
    log: str,
    seq: int,
    prev: bytes,
    recorded: str,
    type: str,
    actor: str,
    statement: dict[str, Any],
    sig: bytes,
) -> bytes:
    """The canonical UTF-8 bytes of a v1 entry (DESIGN §5, RFC 8785): see `encode_entry`.

    Applies the same field rules as `parse_entry`, so whatever is built can be parsed back.
    Raises FormatError for a bad field or an entry over 65,535 bytes. The signature itself
    is not checked here: that needs the key registry.
    """
    return encode_entry(
        Entry(FORMAT_VERSION, log, seq, prev, recorded, type, actor, statement, sig)
    )


def _signature_of(signer: NoteSigner, text: str) -> NoteSignature:
    validate_key_name(signer.name)
    return NoteSignature(signer.name, signer.key_id, signer.sign(text.encode("utf-8")))


def sign_note(text: str, *signers: NoteSigner) -> str:
    """Sign `text` with each signer, in order (c2sp.org/signed-note, "Format").

    Ed25519 is deterministic (RFC 8032 §5.1.6), so the same text and keys give the same bytes.
    """
    check_note_text(text)
    if not signers:
        raise FormatError("a signed note needs at least one signer")
    if len(signers) > MAX_SIGNATURES:
        raise FormatError(f"{len(signers)} signers, at most {MAX_SIGNATURES}")
    return ParsedNote(text, tuple(_signature_of(s, text) for s in signers)).encode()


def add_signatures(note: str | bytes, *signers: NoteSigner) -> str:
    """Append signature lines to an existing note, keeping its lines (e.g. a cosignature).

    The existing signatures are not verified here.
    """
    parsed = parse_note(note)
    added = tuple(_signature_of(s, parsed.text) for s in signers)
    if len(parsed.signatures) + len(added) > MAX_SIGNATURES:
        raise FormatError(f"more than {MAX_SIGNATURES} signatures")
    return ParsedNote(parsed.text, parsed.signatures + added).encode()


def sign_checkpoint(checkpoint: Checkpoint, log_signer: Signer) -> str:
    """Sign a checkpoint as a C2SP signed note by the log key (c2sp.org/tlog-checkpoint).

    DESIGN §5: the log key's name equals the origin, and our logs write no extension lines.
    """
    if log_signer.name != checkpoint.origin:
        raise CheckpointError(
            f"log key {log_signer.key_name} cannot sign for origin {checkpoint.origin!r}: "
            "the log key name must equal the origin"
        )
    if checkpoint.extensions:
        raise CheckpointError("checkpoints of this ledger carry no extension lines")
    return sign_note(checkpoint.to_text(), log_signer)
