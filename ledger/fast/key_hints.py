"""Which public key each actor probably has, read from the input ahead of the verifier.

Workers (ledger.fast.batch) check each signature under the key hinted for its actor; the
parent (ledger.fast.acceptor) accepts that check only if the trust chain names that very key,
so a wrong hint costs time, never a verdict.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping, Sequence

from ledger.errors import FormatError
from ledger.fast.scanner import parse_entry
from ledger.keys import b64decode
from ledger.registry import KEY_REGISTERED, KeyRegistration, KeyRegistry

# How a key.registered entry's canonical JSON spells its type (RFC 8785: no spaces).
_KEY_REGISTERED_MARK = b'"type":"' + KEY_REGISTERED.encode() + b'"'
# How it ends: RFC 8785 §3.2.3 orders the members ..., statement, type, v.
_KEY_REGISTERED_END = b"," + _KEY_REGISTERED_MARK + b',"v":1}'


def _base64_marks(mark: bytes) -> tuple[bytes, ...]:
    """What the base64 (RFC 4648 §4) of any bytes holding `mark` holds, one per alignment.

    Base64 encodes 3-byte groups from the start; wherever `mark` begins, the whole groups
    inside it, from its first group boundary on, encode to one of these three texts.
    """
    return tuple(
        base64.b64encode(mark[skip : skip + (len(mark) - skip) // 3 * 3]) for skip in range(3)
    )


_KEY_REGISTERED_BASE64_MARKS = _base64_marks(_KEY_REGISTERED_MARK)
_EXPORT_ENTRY_BASE64 = re.compile(rb'"entry":"([A-Za-z0-9+/]*={0,2})"')


class KeyHints:
    """The public keys that `key.registered` entries of the input register, as read so far.

    Workers check each signature under the key named here for its actor (ledger.fast.batch). These
    keys are hints, taken from entries not verified yet: the parent accepts a worker's check
    only if the trust chain names the same key. Seeing a registration before its batch is
    replayed spares the parent from checking the signatures of the batches already in flight.
    """

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}
        self._snapshot: Mapping[str, bytes] | None = None

    @classmethod
    def from_registry(cls, registry: KeyRegistry) -> KeyHints:
        """Hints holding the active keys of a trust chain replayed so far."""
        hints = cls()
        for name in registry.active_keys():
            record = registry.record(name)
            if record is not None:
                hints._keys[name] = record.registration.verifier.public_key
        return hints

    def scan(self, batch: Sequence[bytes]) -> None:
        """Note the keys registered in `batch`; the others cost one `endswith` each.

        Only a canonical entry can be accepted, and a canonical key.registered entry ends
        with its type and version: a registration spelled otherwise fails at its index,
        before any entry its key may sign.
        """
        for data in [data for data in batch if data.endswith(_KEY_REGISTERED_END)]:
            self._note(data)

    def scan_export_lines(self, lines: bytes) -> None:
        """Note the keys registered in export lines (ledger.export) without decoding them all.

        A line is decoded only where the base64 of a registration's type may be in it; the
        other lines cost three substring searches over the whole batch.
        """
        hits = sorted(
            {found for mark in _KEY_REGISTERED_BASE64_MARKS for found in _find_all(lines, mark)}
        )
        seen_line = -1
        for found in hits:
            line_start = lines.rfind(b"\n", 0, found) + 1
            if line_start == seen_line:
                continue
            seen_line = line_start
            line_end = lines.find(b"\n", found)
            match = _EXPORT_ENTRY_BASE64.search(
                lines, line_start, len(lines) if line_end < 0 else line_end
            )
            if match is not None:
                try:
                    data = b64decode(match[1].decode("ascii"), "entry")
                except FormatError:
                    continue  # the worker reports it, at its index
                self.scan([data])

    def snapshot(self) -> Mapping[str, bytes]:
        """Key name -> public key; a copy the caller may hand to another process."""
        if self._snapshot is None:
            self._snapshot = dict(self._keys)
        return self._snapshot

    def _note(self, data: bytes) -> None:
        try:
            entry = parse_entry(data)
            if entry.type != KEY_REGISTERED:
                return
            verifier = KeyRegistration.from_statement(entry.statement).verifier
        except FormatError:
            return  # the verifier reports it, at its index
        self._keys.setdefault(verifier.key_name, verifier.public_key)
        self._snapshot = None


def _find_all(data: bytes, part: bytes) -> Iterator[int]:
    found = data.find(part)
    while found >= 0:
        yield found
        found = data.find(part, found + 1)
