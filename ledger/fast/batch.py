"""The per-entry checks that need no log state, run on a batch of consecutive entries.

Parsing an entry (DESIGN §5: size, RFC 8785 canonical form, fields), hashing its leaf
(RFC 6962 §2.1), checking its actor's Ed25519 signature (RFC 8032 §5.1.7), and the chain
checks inside the batch (`seq` is the entry's index, `log` the log's origin, `prev` the leaf
hash of the entry before) need nothing but the batch, except for the actor's public key. So
`check_batch` runs in worker processes (ledger.fast.verify) and leaves to the parent the in-order
work that needs the log before the batch: the first entry's `prev`, the trust chain, the tree.

Entries come as bytes, or as the undecoded lines of an export (ledger.export), which the
worker decodes. What goes back is compact, so that sending it costs little: the leaf hashes
as one byte string, and the entries as *runs* (consecutive entries by one actor, none a key
statement or the genesis, each signature verified under the hint for that actor) and
*special* entries, sent whole (key statements, the genesis, anything parsed off the scanner's
quick path, and entries whose signature was not checked or did not verify).

The worker is told the public key of every key whose registration the parent has seen in the
input so far (a hint, unverified). That only decides which public key it checks a signature
under: the parent accepts a run only if the trust chain names that very key for the actor,
and checks the signatures itself otherwise.
"""

from __future__ import annotations

import binascii
import hashlib
import itertools
import os
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.entry import Entry
from ledger.errors import FormatError, LedgerError
from ledger.export import decode_entry_lines
from ledger.fast.scanner import EntryScanner, parse_entry
from ledger.keys import b64encode
from ledger.merkle import HASH_SIZE
from ledger.registry import KEY_TYPES
from ledger.verify import entry_error, log_error, prev_error, seq_error

SignatureCheck = tuple[bytes, bool]
"""(Ed25519 public key the signature was checked under, whether it verified)."""

_LEAF_PREFIX = b"\x00"  # RFC 6962 §2.1: leaf hash = SHA-256(0x00 || entry)


@dataclass(frozen=True)
class EntryBatch:
    """Consecutive entries from `first_index` on, and the keys their actors may have."""

    first_index: int
    entries: Sequence[bytes]
    known_keys: Mapping[str, bytes]
    """Actor key name (`name+hex8`) -> Ed25519 public key: hints, see ledger.fast.key_hints."""
    origin: str | None = None
    """The log's origin, every entry's `log`; None: the first entry's (the parent checks it)."""
    lines: bytes | None = None
    """Export lines (ledger.export), each ending in a newline but perhaps the last, to be
    decoded by the worker; `entries` is then empty."""
    fields: bool = False
    """Return every entry's type and actor (CheckedBatch.types, .actors)."""
    shared_lines: tuple[int, int, int, int] | None = None
    """Instead of `lines`: (file descriptor, offset, size, number of lines) of export lines
    in a file this process shares with its parent (forked), to be read with `os.pread`."""
    shared_entries: tuple[int, int, bytes] | None = None
    """Where a process forked from this one reads `entries` with `os.pread`, which are then
    not pickled: (file descriptor, offset, the entries' sizes as `array("Q")` bytes)."""

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if self.shared_entries is not None:
            state["entries"] = ()  # the worker reads them from the shared file
        return state

    def entry_list(self) -> Sequence[bytes]:
        """The entries, read from the shared file in a worker that was sent none."""
        if self.entries or self.shared_entries is None:
            return self.entries
        descriptor, offset, sizes = self.shared_entries
        ends = list(itertools.accumulate(array("Q", sizes)))
        data = os.pread(descriptor, ends[-1] if ends else 0, offset)
        if len(data) != (ends[-1] if ends else 0):
            raise RuntimeError(f"entry {self.first_index}: the shared batch was cut short")
        return [data[start:end] for start, end in zip([0, *ends], ends, strict=False)]

    def export_lines(self) -> bytes | None:
        """The export lines of this batch, if it has lines rather than entries."""
        if self.shared_lines is None:
            return self.lines
        descriptor, offset, size, count = self.shared_lines
        lines = os.pread(descriptor, size, offset)
        whole = lines.count(b"\n") + (
            0 if lines.endswith(b"\n") else 1
        )  # the last may end the file
        if len(lines) != size or whole != count:
            raise FormatError(
                f"entry {self.first_index}: export line {self.first_index + 2}: "
                "the export changed while it was being read"
            )
        return lines

    def entry_bytes(self, position: int) -> bytes:
        """The bytes of the entry at `position` in the batch (decoding its line if need be)."""
        lines = self.export_lines()
        if lines is None:
            return self.entries[position]
        entries, error = decode_entry_lines(lines, self.first_index, stop=position + 1)
        if len(entries) <= position:
            raise error or IndexError(position)
        return entries[position]


class Run(NamedTuple):
    """Batch positions `start` to `end - 1`: entries by `actor`, none a key statement or the
    genesis, each with a signature that verified under `key`."""

    start: int
    end: int
    actor: str
    key: bytes


class Special(NamedTuple):
    """An entry the replay accepts on its own (ledger.fast.acceptor.BatchAcceptor)."""

    position: int
    entry: Entry
    signature: SignatureCheck | None
    """None when the batch did not know the actor's key."""


@dataclass(frozen=True)
class CheckedBatch:
    """What `check_batch` found, up to the first entry that failed a check.

    The first `count` entries passed every check of the batch; `failure`, if set, is the
    error of entry `first_index + count` (its format, seq, log or prev, or its export line),
    as the verifier raises it. The entries after it were not looked at.
    """

    first_index: int
    count: int
    origin: str | None
    """The `log` the entries were checked against (None when count is 0)."""
    first_prev: bytes | None
    """The first entry's `prev` (None when count is 0): the parent checks it."""
    leaves: bytes
    """The RFC 6962 §2.1 leaf hashes of the `count` entries, 32 bytes each, concatenated."""
    segments: list[Run | Special]
    """The `count` entries, in order, as runs and special entries."""
    failure: LedgerError | None
    types: list[str] | None = None
    actors: list[str] | None = None

    def leaf(self, position: int) -> bytes:
        """The leaf hash of the entry at `position`."""
        return self.leaves[position * HASH_SIZE : (position + 1) * HASH_SIZE]

    @property
    def signatures(self) -> list[SignatureCheck | None]:
        """Per entry: the key its signature was checked under and the outcome, or None."""
        result: list[SignatureCheck | None] = []
        for segment in self.segments:
            if isinstance(segment, Run):
                result.extend([(segment.key, True)] * (segment.end - segment.start))
            else:
                result.append(segment.signature)
        return result


_public_keys: dict[bytes, Ed25519PublicKey | None] = {}
"""Per process: each hinted key is loaded once (None: not a usable Ed25519 key)."""


def _signature_verifies(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Check an RFC 8032 §5.1.7 Ed25519 signature over the statement message (DESIGN §5).

    The outcome is recorded, not raised: the parent raises the failure in log order, once the
    trust chain has named the key the entry must be signed by (ledger.fast.acceptor).
    """
    if public_key in _public_keys:
        key = _public_keys[public_key]
    else:
        try:
            key = Ed25519PublicKey.from_public_bytes(public_key)
        except ValueError:
            key = None
        _public_keys[public_key] = key
    if key is None:
        return False
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


_scanner = EntryScanner()
"""Per process: its caches of checked actors, types and hours serve every batch."""


def check_batch(batch: EntryBatch) -> CheckedBatch:
    """Check each entry: format, seq, log, prev within the batch, leaf hash and signature.

    Spec: DESIGN §5 (entry format, chain, statement signature), RFC 8785 (canonical form),
    RFC 6962 §2.1 (leaf hash), RFC 8032 §5.1.7 (Ed25519). Stops at the first entry that fails
    a check, reporting it as `failure`; a bad signature is recorded, not raised, since the
    trust chain (checked in order by the parent) may reject the entry for an earlier reason.
    """
    entries: Sequence[bytes]
    input_error: FormatError | None = None
    try:
        lines = batch.export_lines()
    except FormatError as exc:
        lines, input_error = b"", exc
    if lines is not None:
        entries, error = decode_entry_lines(lines, batch.first_index)
        input_error = input_error or error
    else:
        entries = batch.entry_list()
    first = batch.first_index
    origin = batch.origin
    known_keys = batch.known_keys
    scan = _scanner.scan
    sha256 = hashlib.sha256
    b2a_base64 = binascii.b2a_base64
    leaves: list[bytes] = []
    segments: list[Run | Special] = []
    types: list[str] | None = [] if batch.fields else None
    actors: list[str] | None = [] if batch.fields else None
    run_start, run_actor, run_key = -1, "", b""
    expected_prev: bytes | None = None  # base64 of the last leaf hash
    first_prev: bytes | None = None
    failure: LedgerError | None = None
    for position, data in enumerate(entries):
        index = first + position
        scanned = scan(data, expected_prev, index)
        entry: Entry | None = None
        if scanned is None:
            try:
                entry = parse_entry(data)
            except FormatError as exc:
                failure = entry_error(index, "format", exc)
                break
            seq, log, prev, kind, actor = entry.seq, entry.log, entry.prev, entry.type, entry.actor
            sig, message = entry.sig, entry.signed_message()
            prev_text = b64encode(prev).encode("ascii")
        else:
            seq, log, prev_text, kind, actor, sig, message = scanned
        if seq != index:
            failure = seq_error(index, seq)
            break
        if origin is None:
            origin = log
        if log != origin:
            failure = log_error(index, origin, log)
            break
        if position == 0:
            first_prev = binascii.a2b_base64(prev_text)
        elif prev_text != expected_prev:
            assert expected_prev is not None
            failure = prev_error(index, expected_prev.decode(), prev_text.decode())
            break
        leaf = sha256(_LEAF_PREFIX + data).digest()
        leaves.append(leaf)
        expected_prev = b2a_base64(leaf, newline=False)
        key = known_keys.get(actor)
        verified = key is not None and _signature_verifies(key, message, sig)
        if verified and entry is None and index != 0 and kind not in KEY_TYPES:
            assert key is not None
            if run_start < 0 or actor != run_actor:
                if run_start >= 0:
                    segments.append(Run(run_start, position, run_actor, run_key))
                run_start, run_actor, run_key = position, actor, key
        else:
            if run_start >= 0:
                segments.append(Run(run_start, position, run_actor, run_key))
                run_start = -1
            if entry is None:
                entry = parse_entry(data)  # rare: key statements, the genesis, bad signatures
            segments.append(Special(position, entry, None if key is None else (key, verified)))
        if types is not None and actors is not None:
            types.append(kind)
            actors.append(actor)
    if run_start >= 0:
        segments.append(Run(run_start, len(leaves), run_actor, run_key))
    return CheckedBatch(
        first,
        len(leaves),
        origin if leaves else None,
        first_prev,
        b"".join(leaves),
        segments,
        failure or input_error,
        types,
        actors,
    )
