"""C2SP signed notes (c2sp.org/signed-note, "Format" and "Signatures").

A signed note is a text ending in a newline, a blank line, then one or more signature lines
`— <key name> base64(key ID || signature)` (U+2014 EM DASH, space). Any key type can take
part through the NoteVerifier protocol: plain Ed25519 keys (ledger.keys) and Ed25519
witness cosigners (ledger.cosignature). Signing notes is `ledger.signing`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ledger.errors import FormatError, SignatureError
from ledger.keys import KEY_ID_SIZE, b64decode, b64encode, format_key_name, validate_key_name

SIGNATURE_PREFIX = "\u2014 "
"""Every signature line starts with an em dash and a space."""

MAX_SIGNATURES = 100
"""The spec says verifiers SHOULD cap signatures and MUST accept 16; Go's note package uses 100."""


class NoteVerifier(Protocol):
    """Something that checks note signatures for one (key name, key ID) (c2sp.org/signed-note)."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    @property
    def vkey(self) -> str: ...

    def verify(self, message: bytes, signature: bytes) -> None: ...


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the signature bytes after the key ID.

    c2sp.org/signed-note, "Format": `— <key name> base64(key ID || signature)`.
    """

    name: str
    key_id: bytes
    signature: bytes

    @property
    def key_name(self) -> str:
        """`name+hex8`."""
        return format_key_name(self.name, self.key_id)

    def line(self) -> str:
        """The signature line, with its final newline."""
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class ParsedNote:
    """A signed note split into text and signature lines; nothing is verified yet.

    c2sp.org/signed-note, "Format".
    """

    text: str
    signatures: tuple[NoteSignature, ...]

    def encode(self) -> str:
        """The note in its wire form."""
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)


@dataclass(frozen=True)
class OpenedNote:
    """A note with at least one verified signature from a known key (c2sp.org/signed-note).

    `verified` holds each known key's signature once; `unverified` the signatures from
    unknown keys, which the spec says to ignore.
    """

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]

    @property
    def verified_key_names(self) -> tuple[str, ...]:
        """`name+hex8` of each verified signer, in note order."""
        return tuple(sig.key_name for sig in self.verified)


def check_note_text(text: str) -> None:
    """Note text rules (c2sp.org/signed-note, "Format").

    Non-empty, ends in a newline, no ASCII control character other than newline. Python
    strings may hold lone surrogates, which are not valid UTF-8, so those are refused too.
    """
    if not text:
        raise FormatError("note text is empty")
    if not text.endswith("\n"):
        raise FormatError("note text does not end in a newline")
    _check_characters(text, "note text")


# What a note may not hold: ASCII controls but newline, and lone surrogates (not UTF-8).
_FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\ud800-\udfff]")


def _check_characters(text: str, what: str) -> None:
    """UTF-8 without ASCII controls other than newline (c2sp.org/signed-note, "Format")."""
    found = _FORBIDDEN.search(text)  # one scan in C; a checkpoint is signed on every append
    if found is None:
        return
    position, code = found.start(), ord(found.group())
    if code < 0x20:
        raise FormatError(f"{what}: control character U+{code:04X} at offset {position}")
    raise FormatError(f"{what}: lone surrogate U+{code:04X} at offset {position}")


def _decode(note: str | bytes) -> str:
    """A note is UTF-8 text (c2sp.org/signed-note, "Format")."""
    if isinstance(note, bytes):
        try:
            return note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"signed note is not valid UTF-8: {exc}") from None
    return note


def _parse_signature_line(line: str) -> NoteSignature:
    """`— <key name> base64(key ID || signature)` (c2sp.org/signed-note, "Format")."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise FormatError(f"signature line does not start with an em dash and space: {line!r}")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space or not encoded:
        raise FormatError(f"signature line has no signature: {line!r}")
    validate_key_name(name)
    payload = b64decode(encoded, f"signature by {name}")
    if len(payload) <= KEY_ID_SIZE:
        raise FormatError(f"signature by {name} is too short ({len(payload)} bytes)")
    return NoteSignature(name, payload[:KEY_ID_SIZE], payload[KEY_ID_SIZE:])


def parse_note(note: str | bytes) -> ParsedNote:
    """Split a signed note into text and signatures, enforcing c2sp.org/signed-note "Format".

    The text is everything up to and including the newline before the LAST blank line
    (the text itself may contain blank lines). Raises FormatError; verifies nothing.
    """
    message = _decode(note)
    _check_characters(message, "signed note")
    split = message.rfind("\n\n")
    if split < 0:
        raise FormatError("signed note has no blank line before its signatures")
    text, block = message[: split + 1], message[split + 2 :]
    if not block or not block.endswith("\n"):
        raise FormatError("signed note has no signature lines, or does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise FormatError(f"signed note has {len(lines)} signatures, at most {MAX_SIGNATURES}")
    return ParsedNote(text, tuple(_parse_signature_line(line) for line in lines))


def _index_verifiers(verifiers: Iterable[NoteVerifier]) -> dict[tuple[str, bytes], NoteVerifier]:
    """Known keys by (name, key ID), which names one key (c2sp.org/signed-note, "Signatures")."""
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for verifier in verifiers:
        slot = (verifier.name, bytes(verifier.key_id))
        if slot in known and known[slot].vkey != verifier.vkey:
            raise FormatError(f"two different keys share name and key ID {verifier.vkey!r}")
        known[slot] = verifier
    return known


def open_note(note: str | bytes, verifiers: Iterable[NoteVerifier]) -> OpenedNote:
    """Parse a signed note and verify it against known keys (c2sp.org/signed-note, "Signatures").

    Signatures whose (name, key ID) match no known key are ignored. Every signature from a
    known key is verified, and one that fails rejects the whole note (SignatureError). A note
    with no verified signature from a known key is rejected (SignatureError). Malformed notes
    raise FormatError.
    """
    parsed = parse_note(note)
    known = _index_verifiers(verifiers)
    message = parsed.text.encode("utf-8")
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for sig in parsed.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        verifier.verify(message, sig.signature)
        if all(v.key_name != sig.key_name for v in verified):
            verified.append(sig)
    if not verified:
        names = ", ".join(sig.key_name for sig in parsed.signatures)
        raise SignatureError(f"note has no verifiable signatures (signed by: {names})")
    return OpenedNote(parsed.text, tuple(verified), tuple(unverified))
