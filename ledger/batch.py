"""The per-entry checks that need no log state, run on a batch of consecutive entries.

Parsing an entry (DESIGN §5: size, RFC 8785 canonical form, fields), hashing its leaf
(RFC 6962 §2.1) and checking its actor's Ed25519 signature (RFC 8032 §5.1.7) are the costly
part of verifying a log, and none of them depends on the entries before it, except for knowing
the actor's public key. So `check_batch` runs in worker processes (ledger.verify) and leaves the
cheap in-order checks (seq, log, prev, trust chain, tree) to the parent.

The worker is told the public key of every key whose registration the parent has seen in the
input so far (a hint, unverified). That only decides which public key it checks a signature
under: the parent accepts the result only if the trust chain names that very key, and checks
the signature itself otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ledger.entry import Entry, parse_entry
from ledger.errors import FormatError, SignatureError
from ledger.keys import Verifier, split_key_name
from ledger.merkle import leaf_hash

SignatureCheck = tuple[bytes, bool]
"""(Ed25519 public key the signature was checked under, whether it verified)."""


@dataclass(frozen=True)
class EntryBatch:
    """Consecutive entries from `first_index` on, and the keys their actors may have."""

    first_index: int
    entries: list[bytes]
    known_keys: Mapping[str, bytes]
    """Actor key name (`name+hex8`) -> Ed25519 public key: hints, see ledger.verify.KeyHints."""


@dataclass(frozen=True)
class CheckedBatch:
    """What `check_batch` found, entry by entry, up to the first malformed entry.

    `failure` is set when entry `first_index + len(entries)` could not be parsed; the
    entries after it were not looked at.
    """

    first_index: int
    entries: list[Entry]
    leaves: list[bytes]
    signatures: list[SignatureCheck | None]
    """None when the batch did not know the actor's key."""
    failure: FormatError | None


_verifiers: dict[tuple[str, bytes], Verifier] = {}
"""Per process: building a Verifier parses its key, so each key is built once."""


def _verifier(key_name: str, public_key: bytes) -> Verifier:
    verifier = _verifiers.get((key_name, public_key))
    if verifier is None:
        name, _ = split_key_name(key_name)
        verifier = _verifiers[key_name, public_key] = Verifier(name, public_key)
    return verifier


def _check_signature(entry: Entry, public_key: bytes) -> SignatureCheck:
    """Check the actor's RFC 8032 Ed25519 signature over the statement message (DESIGN §5)."""
    try:
        _verifier(entry.actor, public_key).verify(entry.signed_message(), entry.sig)
    except (SignatureError, FormatError):
        return public_key, False
    return public_key, True


def check_batch(batch: EntryBatch) -> CheckedBatch:
    """Parse each entry, hash its leaf and check its signature where the actor's key is known.

    Spec: DESIGN §5 (entry format, statement signature), RFC 6962 §2.1 (leaf hash). Stops at
    the first entry that does not parse; a bad signature is recorded, not raised, since the
    trust chain (checked in order by the parent) may reject the entry for an earlier reason.
    """
    entries: list[Entry] = []
    leaves: list[bytes] = []
    signatures: list[SignatureCheck | None] = []
    for data in batch.entries:
        try:
            entry = parse_entry(data)
        except FormatError as exc:
            return CheckedBatch(batch.first_index, entries, leaves, signatures, exc)
        public_key = batch.known_keys.get(entry.actor)
        signatures.append(None if public_key is None else _check_signature(entry, public_key))
        entries.append(entry)
        leaves.append(leaf_hash(data))
    return CheckedBatch(batch.first_index, entries, leaves, signatures, None)
