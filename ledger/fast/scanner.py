"""Checking entries as `ledger.entry.parse_entry` does, sooner (DESIGN §5).

`parse_entry` here returns the reference's Entry or raises its FormatError, through the
quicker canonical-form check of ledger.fast.jcs. `EntryScanner.scan` accepts exactly the
entries `parse_entry` accepts (or says it is unsure, and the caller asks `parse_entry`) and
returns what a verifier needs of them without building an Entry: `seq`, `log`, `prev`,
`type`, `actor`, `sig` and the signed message. tests/ledger/test_entry_scanner.py and
tests/ledger/test_fast_matches_reference.py hold both to that.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from typing import NamedTuple

from ledger.entry import (
    ENTRY_FIELDS,
    FORMAT_VERSION,
    MAX_ENTRY_SIZE,
    MAX_SEQ,
    STATEMENT_DOMAIN,
    Entry,
    check_actor,
    check_log,
    check_size,
    check_type,
    entry_from_json,
    parse_recorded,
)
from ledger.errors import FormatError
from ledger.fast.jcs import ObjectLayouts, parse_canonical
from ledger.jcs import canonicalize
from ledger.keys import ED25519_SIGNATURE_SIZE, canonical_base64
from ledger.merkle import HASH_SIZE


def parse_entry(data: bytes) -> Entry:
    """`ledger.entry.parse_entry(data)`: the same Entry or the same FormatError, sooner."""
    check_size(data)
    return entry_from_json(parse_canonical(data))


class ScannedEntry(NamedTuple):
    """What a verifier needs of an entry that passed every check of `parse_entry`."""

    seq: int
    log: str
    prev: bytes
    """Base64 of the 32-byte `prev` hash, canonical (RFC 4648 §4), as in the entry."""
    type: str
    actor: str
    sig: bytes
    message: bytes
    """The bytes the actor signed (DESIGN §5), `statement_message` of the entry."""


_SCAN_CACHE_LIMIT = 65_536
_LAYOUT_TYPES_LIMIT = 256  # statement types with a cache of layouts (ledger.fast.jcs.ObjectLayouts)
_RECORDED_SIZE = 24  # YYYY-MM-DDTHH:MM:SS.mmmZ
_HOUR_SIZE = 13  # YYYY-MM-DDTHH
# The part of `recorded` after the hour, when the date and hour are known to be valid.
_AFTER_THE_HOUR = re.compile(rb":[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z")
# The canonical layout of an entry (RFC 8785 §3.2.3 orders the members so): the JSON strings
# of log, type and actor without escapes, prev and sig as standard padded base64 of 32 and 64
# bytes, recorded as a time, seq as a canonical integer, the statement an object.
_ENTRY_LAYOUT = re.compile(
    rb'(\{"actor":("[^"\\]*")),"log":("[^"\\]*"),"prev":"([A-Za-z0-9+/]{43}=)",'
    rb'"recorded":"(([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z)",'
    rb'"seq":(0|[1-9][0-9]{0,15}),"sig":"([A-Za-z0-9+/]{86}==)"'
    rb'(,"statement":(\{.*\}),"type":("[^"\\]*")),"v":1\}',
    re.DOTALL,
)
# Base64 digits whose unused low bits are zero (RFC 4648 §3.5): the last digit of 32 bytes
# (2 bits unused, before "=") and of 64 bytes (4 bits unused, before "==").
_LAST_DIGIT_OF_32_BYTES = frozenset(b"AEIMQUYcgkosw048")
_LAST_DIGIT_OF_64_BYTES = frozenset(b"AQgw")
_ACTOR_MEMBER = b'{"actor":'
_LOG_MEMBER = b',"log":'
_STATEMENT_MEMBER = b',"statement":'
_VERSION_MEMBER = b',"v":1}'


def _scanned(fields: tuple[int, str, bytes, str, str, bytes, bytes]) -> ScannedEntry:
    # tuple.__new__ skips the Python-level __new__ of a NamedTuple: this runs once per entry
    return tuple.__new__(ScannedEntry, fields)


class EntryScanner:
    """Checks the entries of a log as `parse_entry` does, faster, for a verifier (DESIGN §5).

    `scan` applies every rule of `parse_entry` (size, RFC 8785 canonical form, the nine
    fields and each field's form) but builds no Entry. Values that repeat from entry to entry
    (`log`, `type`, `actor`, the date and hour of `recorded`) are checked once and then
    recognised by their canonical JSON. Once they are known, an entry is checked as the
    byte-exact RFC 8785 layout of its members, `{"actor":<known>,"log":<known>,"prev":"<base64>",
    "recorded":"<time>","seq":<n>,"sig":"<base64>","statement":<object>,"type":<known>,"v":1}`,
    so only the statement is checked: by its layout if a statement laid out alike was checked
    before (ledger.fast.jcs.ObjectLayouts), else decoded and re-encoded (read_canonical_object).

    `scan` returns None for an entry that breaks a rule and for one it is unsure of; the
    caller then calls `parse_entry`, which raises the exact error or returns the entry. A
    scanner only grows its caches (up to a bound), so one may serve every entry a process
    checks.
    """

    def __init__(self) -> None:
        self._logs: dict[bytes, str] = {}  # canonical JSON of a checked value -> the value
        self._types: dict[bytes, str] = {}
        self._actors: dict[bytes, str] = {}
        self._hours: set[bytes] = set()
        self._layouts: dict[str, ObjectLayouts] = {}  # a cache a statement type

    def scan(
        self, data: bytes, expected_prev: bytes | None = None, expected_seq: int | None = None
    ) -> ScannedEntry | None:
        """The entry's fields and signed message if `parse_entry(data)` would accept it.

        Spec: DESIGN §5 (entry format v1, the statement message), RFC 8785 (canonical form),
        RFC 4648 §4 (base64). `expected_prev` is the base64 `prev` the caller expects, and
        `expected_seq` the `seq`: an entry with exactly those values is checked quickest.
        Returns None when `parse_entry` would raise, and possibly for an unusual valid entry
        (floats, characters from U+E000 on, ...).
        """
        if len(data) > MAX_ENTRY_SIZE:
            return None
        # The canonical layout of an entry whose log, type and actor were checked before:
        # each member's value is checked to be the RFC 8785 form of a valid value, the cached
        # canonical JSON of a checked log, type or actor; canonical base64 (which JSON writes
        # as is) for prev and sig; a checked time (digits and "-T:.Z" only) for recorded; the
        # digits of `seq`; a canonical object for the statement. So the entry is byte for
        # byte the `canonicalize` of those members, which is what parse_entry requires. This
        # runs for every entry of a log, hence written out in one function.
        match = _ENTRY_LAYOUT.fullmatch(data) if expected_seq is not None else None
        if match is not None:
            (
                actor_member,
                actor_json,
                log_json,
                prev,
                recorded,
                hour,
                seq_text,
                sig_text,
                signed_members,
                statement,
                type_json,
            ) = match.groups()
            actor = self._actors.get(actor_json)
            log = self._logs.get(log_json)
            kind = self._types.get(type_json)
            if (
                actor is not None
                and log is not None
                and kind is not None
                and int(seq_text) == expected_seq
                and (hour in self._hours or self._recorded_ok(recorded))
                and (prev == expected_prev or prev[42] in _LAST_DIGIT_OF_32_BYTES)
                and sig_text[85] in _LAST_DIGIT_OF_64_BYTES
                and self._statement_ok(kind, statement)
            ):
                # The signed message {"actor":..,"statement":..,"type":..} is the entry's
                # actor member and its statement and type members (see Entry.signed_message).
                message = b"".join((STATEMENT_DOMAIN, actor_member, signed_members, b"}"))
                sig = binascii.a2b_base64(sig_text)
                return _scanned((expected_seq, log, prev, kind, actor, sig, message))
        return self._scan_parsed(data, expected_prev)

    def _statement_ok(self, kind: str, statement: bytes) -> bool:
        layouts = self._layouts.get(kind)
        if layouts is None:
            if len(self._layouts) >= _LAYOUT_TYPES_LIMIT:
                self._layouts.clear()
            layouts = self._layouts[kind] = ObjectLayouts()
        return layouts.is_canonical(statement)

    def _scan_parsed(self, data: bytes, expected_prev: bytes | None) -> ScannedEntry | None:
        """Parse the whole entry (ledger.fast.jcs.parse_canonical) and check every field."""
        try:
            obj = parse_canonical(data)
        except FormatError:
            return None
        if type(obj) is not dict or obj.keys() != ENTRY_FIELDS:
            return None
        v, log, seq, prev_text = obj["v"], obj["log"], obj["seq"], obj["prev"]
        recorded, kind, actor, sig_text = obj["recorded"], obj["type"], obj["actor"], obj["sig"]
        if type(v) is not int or v != FORMAT_VERSION:
            return None
        if type(seq) is not int or not 0 <= seq <= MAX_SEQ:
            return None
        if type(obj["statement"]) is not dict:
            return None
        for text in (log, kind, actor, prev_text, sig_text, recorded):
            if type(text) is not str:
                return None
        if not self._learn(self._logs, log, check_log):
            return None
        if not self._learn(self._types, kind, check_type):
            return None
        if not self._learn(self._actors, actor, check_actor):
            return None
        if not (prev_text.isascii() and sig_text.isascii() and recorded.isascii()):
            return None
        if not self._recorded_ok(recorded.encode("ascii")):
            return None
        prev = prev_text.encode("ascii")
        if prev != expected_prev and len(canonical_base64(prev) or b"") != HASH_SIZE:
            return None
        sig = canonical_base64(sig_text.encode("ascii"))
        if sig is None or len(sig) != ED25519_SIGNATURE_SIZE:
            return None
        # Canonical with exactly the v1 members, in the order actor, log, prev, recorded, seq,
        # sig, statement, type, v (RFC 8785 §3.2.3): the statement message is two slices.
        actor_end = len(_ACTOR_MEMBER) + len(canonicalize(actor))
        statement_member = data.find(_STATEMENT_MEMBER, actor_end)
        if (
            statement_member < 0
            or not data.startswith(_LOG_MEMBER, actor_end)
            or not data.endswith(_VERSION_MEMBER)
        ):
            return None
        message = b"".join(
            (
                STATEMENT_DOMAIN,
                data[:actor_end],
                data[statement_member : -len(_VERSION_MEMBER)],
                b"}",
            )
        )
        return _scanned((seq, log, prev, kind, actor, sig, message))

    def _learn(self, known: dict[bytes, str], value: str, check: Callable[[str], object]) -> bool:
        """Check a log, type or actor once; remember it by its canonical JSON."""
        try:
            check(value)
            encoded = canonicalize(value)
        except FormatError:
            return False
        if len(known) >= _SCAN_CACHE_LIMIT:
            known.clear()
        known[encoded] = value
        return True

    def _recorded_ok(self, recorded: bytes) -> bool:
        # "YYYY-MM-DDTHH" checked once per hour (parse_recorded: a real date, hour < 24); the
        # minutes, seconds and milliseconds then only need their digits (< 60 for both).
        if len(recorded) != _RECORDED_SIZE:
            return False
        if recorded[:_HOUR_SIZE] in self._hours:
            return _AFTER_THE_HOUR.fullmatch(recorded, _HOUR_SIZE) is not None
        try:
            parse_recorded(recorded.decode("ascii"))
        except (FormatError, UnicodeDecodeError):
            return False
        if len(self._hours) >= _SCAN_CACHE_LIMIT:
            self._hours.clear()
        self._hours.add(recorded[:_HOUR_SIZE])
        return True
