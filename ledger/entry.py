"""Ledger entry format v1 (DESIGN §5): RFC 8785 canonical JSON, signed by its actor.

An entry is the UTF-8 bytes of the RFC 8785 canonical JSON of
`{v, log, seq, prev, recorded, type, actor, statement, sig}`; the actor signs
`b"ocop-ledger/statement/v1\\n" + JCS({"actor", "statement", "type"})` with Ed25519 (RFC 8032).
Parsing is strict, so every entry has exactly one accepted byte form and one leaf hash.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from ledger.errors import FormatError
from ledger.jcs import ObjectLayouts, canonicalize, parse_canonical
from ledger.keys import (
    ED25519_SIGNATURE_SIZE,
    Signer,
    b64decode,
    b64encode,
    canonical_base64,
    split_key_name,
)
from ledger.merkle import HASH_SIZE

FORMAT_VERSION = 1
MAX_ENTRY_SIZE = 65_535
"""Entries must fit a tlog-tiles entry bundle's 16-bit length prefix (DESIGN §5)."""

GENESIS_PREV = bytes(HASH_SIZE)
"""`prev` of entry 0: 32 zero bytes."""

MAX_SEQ = 2**53 - 1
"""RFC 8785 only represents integers exactly up to 2^53 - 1."""

STATEMENT_DOMAIN = b"ocop-ledger/statement/v1\n"

ENTRY_FIELDS = frozenset(
    {"v", "log", "seq", "prev", "recorded", "type", "actor", "statement", "sig"}
)

_RECORDED = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{3})Z"
)
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f]")
# Statement types are dotted identifiers such as "event.recorded" or "key.registered".
_STATEMENT_TYPE = re.compile(r"[a-z][a-zA-Z0-9_-]*(\.[a-z][a-zA-Z0-9_-]*)+")


@dataclass(frozen=True)
class Entry:
    """A parsed ledger entry, field for field as DESIGN §5 defines it."""

    v: int
    log: str
    seq: int
    prev: bytes
    recorded: str
    type: str
    actor: str
    statement: dict[str, Any] = field(hash=False)
    sig: bytes
    # The canonical statement as it stands in the parsed entry's bytes, when known.
    statement_bytes: bytes | None = field(default=None, compare=False, repr=False)

    def signed_message(self) -> bytes:
        """The bytes the actor signed (DESIGN §5).

        For a parsed entry the statement's canonical form is a slice of the entry's own
        canonical bytes (RFC 8785 §3.2: members sorted, no white space), so it is not encoded
        again; the result is byte for byte `statement_message`.
        """
        if self.statement_bytes is None:
            return statement_message(self.actor, self.type, self.statement)
        return b"".join(
            (
                STATEMENT_DOMAIN,
                b'{"actor":',
                canonicalize(self.actor),
                b',"statement":',
                self.statement_bytes,
                b',"type":',
                canonicalize(self.type),
                b"}",
            )
        )

    def encode(self) -> bytes:
        """The entry's canonical bytes (what the leaf hash covers)."""
        return build_entry(
            self.log,
            self.seq,
            self.prev,
            self.recorded,
            self.type,
            self.actor,
            self.statement,
            self.sig,
        )


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


def parse_recorded(text: str) -> datetime:
    """Parse a `recorded` value (RFC 3339 §5.6, restricted to UTC with milliseconds)."""
    match = _RECORDED.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise FormatError(f"recorded {text!r} is not YYYY-MM-DDTHH:MM:SS.mmmZ")
    year, month, day, hour, minute, second, millis = map(int, match.groups())
    try:  # not strptime: far slower, and this runs once per entry of the log
        return datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=UTC)
    except ValueError as exc:
        raise FormatError(f"recorded {text!r} is not a valid date and time: {exc}") from None


def statement_message(actor: str, type: str, statement: dict[str, Any]) -> bytes:
    """`b"ocop-ledger/statement/v1\\n" + JCS({"actor", "statement", "type"})` (DESIGN §5, RFC 8785).

    It starts with its own domain line and, unlike a C2SP note text, does not end in a newline,
    so a statement signature never passes as a note or checkpoint signature, nor the reverse.
    """
    return STATEMENT_DOMAIN + canonicalize({"actor": actor, "statement": statement, "type": type})


def sign_statement(signer: Signer, type: str, statement: dict[str, Any]) -> bytes:
    """The actor's RFC 8032 Ed25519 signature over the statement message (DESIGN §5)."""
    return signer.sign(statement_message(signer.key_name, type, statement))


def _check_int(value: object, name: str, low: int, high: int) -> int:
    # bool is an int subclass; true/false in JSON is never a number
    if type(value) is not int or not low <= value <= high:
        raise FormatError(f"entry {name}: expected an integer in {low}..{high}, found {value!r}")
    return value


def _check_str(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise FormatError(f"entry {name}: expected a non-empty string, found {value!r}")
    return value


def _check_bytes(value: object, name: str, size: int) -> bytes:
    if not isinstance(value, bytes) or len(value) != size:
        found = len(value) if isinstance(value, bytes) else type(value).__name__
        raise FormatError(f"entry {name}: expected {size} bytes, found {found}")
    return value


def _check_log(value: object) -> str:
    log = _check_str(value, "log")
    if _CONTROL_CHARACTER.search(log):
        raise FormatError(f"entry log {log!r}: a checkpoint origin line has no control characters")
    return log


def _check_type(value: object) -> str:
    statement_type = _check_str(value, "type")
    if not _STATEMENT_TYPE.fullmatch(statement_type):
        raise FormatError(f"entry type {statement_type!r} is not a dotted name like event.recorded")
    return statement_type


def _check_actor(value: object) -> str:
    actor = _check_str(value, "actor")
    try:
        split_key_name(actor)
    except FormatError as exc:
        raise FormatError(f"entry actor: {exc}") from None
    return actor


def _check_statement(value: object) -> dict[str, Any]:
    if type(value) is not dict:
        raise FormatError(f"entry statement: expected a JSON object, found {type(value).__name__}")
    return value


def _check_fields(entry: Entry) -> None:
    if type(entry.v) is not int or entry.v != FORMAT_VERSION:
        raise FormatError(f"entry v: expected {FORMAT_VERSION}, found {entry.v!r}")
    _check_log(entry.log)
    _check_int(entry.seq, "seq", 0, MAX_SEQ)
    _check_bytes(entry.prev, "prev", HASH_SIZE)
    parse_recorded(entry.recorded)
    _check_type(entry.type)
    _check_actor(entry.actor)
    _check_statement(entry.statement)
    _check_bytes(entry.sig, "sig", ED25519_SIGNATURE_SIZE)


def _encode_checked(entry: Entry) -> bytes:
    _check_fields(entry)
    data = canonicalize(
        {
            "v": entry.v,
            "log": entry.log,
            "seq": entry.seq,
            "prev": b64encode(entry.prev),
            "recorded": entry.recorded,
            "type": entry.type,
            "actor": entry.actor,
            "statement": entry.statement,
            "sig": b64encode(entry.sig),
        }
    )
    if len(data) > MAX_ENTRY_SIZE:
        raise FormatError(f"entry is {len(data)} bytes, at most {MAX_ENTRY_SIZE}")
    return data


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
    """The canonical UTF-8 bytes of an entry (DESIGN §5, RFC 8785).

    Applies the same field rules as `parse_entry`, so whatever is built can be parsed back.
    Raises FormatError for a bad field or an entry over 65,535 bytes. The signature itself
    is not checked here: that needs the key registry.
    """
    return _encode_checked(
        Entry(FORMAT_VERSION, log, seq, prev, recorded, type, actor, statement, sig)
    )


def parse_entry(data: bytes) -> Entry:
    """Parse entry bytes strictly (DESIGN §5): size, canonical RFC 8785 form, every field.

    Raises FormatError naming the first field that is wrong.
    """
    if len(data) > MAX_ENTRY_SIZE:
        raise FormatError(f"entry is {len(data)} bytes, at most {MAX_ENTRY_SIZE}")
    obj = parse_canonical(data)
    if type(obj) is not dict:
        raise FormatError(f"entry: expected a JSON object, found {type(obj).__name__}")
    if obj.keys() != ENTRY_FIELDS:
        missing = sorted(ENTRY_FIELDS - obj.keys())
        extra = sorted(obj.keys() - ENTRY_FIELDS)
        raise FormatError(f"entry fields: missing {missing}, unexpected {extra}")
    for name in ("prev", "sig"):
        if not isinstance(obj[name], str):
            raise FormatError(f"entry {name}: expected a base64 string, found {obj[name]!r}")
    entry = Entry(
        v=obj["v"],
        log=obj["log"],
        seq=obj["seq"],
        prev=b64decode(obj["prev"], "entry prev"),
        recorded=obj["recorded"],
        type=obj["type"],
        actor=obj["actor"],
        statement=obj["statement"],
        sig=b64decode(obj["sig"], "entry sig"),
        statement_bytes=_statement_slice(data, obj["type"]),
    )
    _check_fields(entry)
    return entry


def _statement_slice(data: bytes, statement_type: object) -> bytes | None:
    """The statement's bytes within a canonical entry (RFC 8785 §3.2.3 member order).

    The top-level members sort as actor, log, prev, recorded, seq, sig, statement, type, v: the
    statement follows the base64 `sig` (which holds no `,` or `"`) and precedes
    `,"type":<type>,"v":1}`. None when the entry does not have that shape; callers then encode.
    """
    if not isinstance(statement_type, str):
        return None
    tail = b',"type":' + canonicalize(statement_type) + b',"v":1}'
    sig = data.find(b'"sig":"')
    start = data.find(b',"statement":', sig)
    if sig < 0 or start < 0 or not data.endswith(tail):
        return None
    return data[start + len(b',"statement":') : len(data) - len(tail)]


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
_LAYOUT_TYPES_LIMIT = 256  # statement types with a cache of layouts (ledger.jcs.ObjectLayouts)
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
    before (ledger.jcs.ObjectLayouts), else decoded and re-encoded (read_canonical_object).

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
        """Parse the whole entry (ledger.jcs.parse_canonical) and check every field."""
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
        if not self._learn(self._logs, log, _check_log):
            return None
        if not self._learn(self._types, kind, _check_type):
            return None
        if not self._learn(self._actors, actor, _check_actor):
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
