"""Ed25519 keys in the C2SP signed-note encoding (c2sp.org/signed-note, "Signatures" and
"Ed25519 signatures"; RFC 8032 for the signature scheme itself).

A key is named by a *key name* plus a 4-byte *key ID*; both appear in note signature lines,
in vkeys (`name+hex8+base64(type || public key)`) and, as `name+hex8`, in ledger entries'
`actor` field (DESIGN §5). Only public keys live here: verifying needs nothing else.
Private keys and signing are `ledger.signing`'s.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any, ClassVar, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.errors import FormatError, SignatureError

ED25519_TYPE = 0x01
"""Signature type byte of plain Ed25519 note signatures (c2sp.org/signed-note)."""

ED25519_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
KEY_ID_SIZE = 4

_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")
# \s matches exactly what str.isspace() accepts: every Unicode space, as Go's unicode.IsSpace
_FORBIDDEN_IN_NAME = re.compile(r"[\s\x00-\x1f\x7f]")


def b64encode(data: bytes) -> str:
    """Standard base64 with padding (RFC 4648 §4), as every C2SP format and DESIGN §5 use."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str) -> bytes:
    """Decode standard padded base64 (RFC 4648 §4), accepting only its canonical encoding.

    Re-encoding and comparing rejects stray whitespace, missing padding and non-zero padding
    bits, so every byte string has exactly one accepted text form.
    """
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FormatError(f"{what}: not standard base64: {text!r}") from exc
    if b64encode(data) != text:
        raise FormatError(f"{what}: not canonical base64: {text!r}")
    return data


# Base64 digits whose unused low bits are zero, before "==" (4 bits unused) and "=" (2 bits).
_ZERO_LOW_4_BITS = frozenset(b"AQgw")
_ZERO_LOW_2_BITS = frozenset(b"AEIMQUYcgkosw048")


def canonical_base64(text: bytes) -> bytes | None:
    """The bytes `text` is the standard padded base64 of (RFC 4648 §4), or None.

    Accepts exactly what `b64decode` accepts, without its error messages: whole 4-character
    groups, strict decoding (no other characters, padding only at the end), and zero unused
    bits before the padding (RFC 4648 §3.5) leave one text per byte string.
    """
    if len(text) % 4:
        return None
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error:
        return None
    if text.endswith(b"=="):
        return data if text[-3] in _ZERO_LOW_4_BITS else None
    if text.endswith(b"="):
        return data if text[-2] in _ZERO_LOW_2_BITS else None
    return data


def validate_key_name(name: str) -> None:
    """Key names are non-empty, without Unicode spaces or '+' (c2sp.org/signed-note, "Format").

    ASCII control characters are refused too, since a name is written into a note line.
    """
    if not name:
        raise FormatError("key name is empty")
    if "+" in name:
        raise FormatError(f"key name {name!r} contains '+'")
    if _FORBIDDEN_IN_NAME.search(name):
        raise FormatError(f"key name {name!r} contains a space or control character")


def key_id(name: str, public_key: bytes, signature_type: int = ED25519_TYPE) -> bytes:
    """Key ID = SHA-256(key name || 0x0A || signature type || public key)[:4].

    c2sp.org/signed-note, "Signatures" (and tlog-cosignature with type 0x04).
    """
    material = name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key
    return hashlib.sha256(material).digest()[:KEY_ID_SIZE]


def format_key_name(name: str, key_id_bytes: bytes) -> str:
    """`name+hex8`: a vkey without its public key part; the `actor` form of DESIGN §5."""
    return f"{name}+{key_id_bytes.hex()}"


def split_key_name(key_name: str) -> tuple[str, bytes]:
    """Parse `name+hex8` (lower-case hex, as Go's note package writes it) into name and key ID.

    The key name and key ID of c2sp.org/signed-note, "Signatures"; an entry's `actor` (DESIGN §5).
    """
    name, plus, hex8 = key_name.rpartition("+")
    if not plus or not _KEY_ID_HEX.fullmatch(hex8):
        raise FormatError(f"key name {key_name!r} is not <name>+<8 lower-case hex digits>")
    validate_key_name(name)
    return name, bytes.fromhex(hex8)


def parse_vkey(vkey: str, signature_type: int) -> tuple[str, bytes]:
    """Parse a vkey `name+hex8+base64(type || key)` into (name, 32-byte Ed25519 key).

    c2sp.org/signed-note, "Verifier keys". Raises FormatError for a bad layout or name,
    another signature type, a key that is not 32 bytes, or a key ID that does not match.
    """
    parts = vkey.split("+", 2)  # the base64 part may itself contain '+'
    if len(parts) != 3:
        raise FormatError(f"vkey {vkey!r} is not <name>+<hex8>+<base64>")
    name, hex8, key_b64 = parts
    material = b64decode(key_b64, f"vkey {name}+{hex8}")
    public_key = read_key_material(name, hex8, material, signature_type)
    check_key_id(name, bytes.fromhex(hex8), public_key, signature_type)
    return name, public_key


def read_key_material(name: str, hex8: str, material: bytes, signature_type: int) -> bytes:
    """Check the name, key ID digits, type byte and size of `type || key`; return the key.

    c2sp.org/signed-note, "Verifier keys"; the same layout holds a private seed.
    """
    validate_key_name(name)
    if not _KEY_ID_HEX.fullmatch(hex8):
        raise FormatError(f"key {name}: key ID {hex8!r} is not 8 lower-case hex digits")
    if len(material) != 1 + ED25519_KEY_SIZE:
        raise FormatError(f"key {name}+{hex8}: expected a type byte and {ED25519_KEY_SIZE} bytes")
    if material[0] != signature_type:
        raise FormatError(
            f"key {name}+{hex8}: signature type 0x{material[0]:02x}, expected 0x{signature_type:02x}"
        )
    return material[1:]


def check_key_id(name: str, claimed: bytes, public_key: bytes, signature_type: int) -> None:
    """FormatError unless `claimed` is the key ID of this key (c2sp.org/signed-note, "Signatures")."""
    expected = key_id(name, public_key, signature_type)
    if claimed != expected:
        raise FormatError(
            f"key {name}: key ID {claimed.hex()} does not match the key (expected {expected.hex()})"
        )


def verify_ed25519(
    public_key: Ed25519PublicKey, message: bytes, signature: bytes, who: str
) -> None:
    """Verify an RFC 8032 §5.1.7 Ed25519 signature, raising SignatureError naming the key."""
    if len(signature) != ED25519_SIGNATURE_SIZE:
        raise SignatureError(
            f"invalid signature for key {who}: expected {ED25519_SIGNATURE_SIZE} bytes, "
            f"found {len(signature)}"
        )
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        raise SignatureError(f"invalid signature for key {who}") from None


class NamedKey:
    """The public identity of an Ed25519-based note key: name, key, key ID, vkey.

    c2sp.org/signed-note, "Signatures": the key ID depends on the signature type, so plain
    Ed25519 keys (type 0x01) and cosignature keys (type 0x04, ledger.cosignature) set
    `signature_type` in their subclass.
    """

    signature_type: ClassVar[int] = ED25519_TYPE
    __slots__ = ("key_id", "name", "public_key")

    def __init__(self, name: str, public_key: bytes) -> None:
        validate_key_name(name)
        if len(public_key) != ED25519_KEY_SIZE:
            raise FormatError(
                f"key {name}: Ed25519 public key must be {ED25519_KEY_SIZE} bytes, "
                f"found {len(public_key)}"
            )
        self.name = name
        self.public_key = public_key
        self.key_id = key_id(name, public_key, self.signature_type)

    @property
    def key_name(self) -> str:
        """`name+hex8`; for type 0x01 keys, the form of an entry's actor (DESIGN §5)."""
        return format_key_name(self.name, self.key_id)

    @property
    def vkey(self) -> str:
        """The vkey `name+hex8+base64(type || key)` (c2sp.org/signed-note)."""
        material = bytes([self.signature_type]) + self.public_key
        return f"{self.key_name}+{b64encode(material)}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NamedKey):
            return NotImplemented
        return type(self) is type(other) and self.vkey == other.vkey

    def __hash__(self) -> int:
        return hash((type(self), self.name, self.public_key))


class PublicNamedKey(NamedKey):
    """A NamedKey holding only the public key; picklable, for parallel verifier workers.

    Built from a vkey (c2sp.org/signed-note, "Verifier keys") or from a name and 32-byte key.
    """

    __slots__ = ("_key",)

    def __init__(self, name: str, public_key: bytes) -> None:
        super().__init__(name, public_key)
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> Self:
        """Parse a vkey of this key's signature type (c2sp.org/signed-note, "Verifier keys").

        Raises FormatError for a bad layout or name, another signature type, a key that is
        not 32 bytes, or a key ID that does not match.
        """
        return cls(*parse_vkey(vkey, cls.signature_type))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.public_key))


class Verifier(PublicNamedKey):
    """A named Ed25519 public key that checks note signatures (c2sp.org/signed-note, type 0x01)."""

    __slots__ = ()

    def verify(self, message: bytes, signature: bytes) -> None:
        """Check an RFC 8032 Ed25519 signature over `message`; raise SignatureError if bad."""
        verify_ed25519(self._key, message, signature, self.key_name)
