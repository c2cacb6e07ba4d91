"""Ledger entry format v1 (DESIGN §5): RFC 8785 canonical JSON, signed by its actor.

An entry is the UTF-8 bytes of the RFC 8785 canonical JSON of
`{v, log, seq, prev, recorded, type, actor, statement, sig}`; the actor signs
`b"ocop-ledger/statement/v1\\n" + JCS({"actor", "statement", "type"})` with Ed25519 (RFC 8032).
Parsing is strict, so every entry has exactly one accepted byte form and one leaf hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledger.errors import FormatError
from ledger.jcs import canonicalize, parse_canonical
from ledger.keys import ED25519_SIGNATURE_SIZE, b64decode, b64encode, split_key_name
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

    def signed_message(self) -> bytes:
        """The bytes the actor signed (DESIGN §5): `statement_message` of the entry."""
        return statement_message(self.actor, self.type, self.statement)

    def encode(self) -> bytes:
        """The entry's canonical bytes (what the leaf hash covers), as a v1 entry.

        DESIGN §5, RFC 8785 §3.2: see `encode_entry`.
        """
        return encode_entry(
            Entry(
                FORMAT_VERSION,
                self.log,
                self.seq,
                self.prev,
                self.recorded,
                self.type,
                self.actor,
                self.statement,
                self.sig,
            )
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


def check_log(value: object) -> str:
    """An entry's `log`: a non-empty checkpoint origin line (c2sp.org/tlog-checkpoint)."""
    log = _check_str(value, "log")
    if _CONTROL_CHARACTER.search(log):
        raise FormatError(f"entry log {log!r}: a checkpoint origin line has no control characters")
    return log


def check_type(value: object) -> str:
    """An entry's `type`: a dotted statement type such as `event.recorded` (DESIGN §5)."""
    statement_type = _check_str(value, "type")
    if not _STATEMENT_TYPE.fullmatch(statement_type):
        raise FormatError(f"entry type {statement_type!r} is not a dotted name like event.recorded")
    return statement_type


def check_actor(value: object) -> str:
    """An entry's `actor`: a key name `name+hex8` (c2sp.org/signed-note, DESIGN §5)."""
    actor = _check_str(value, "actor")
    try:
        split_key_name(actor)
    except FormatError as exc:
        raise FormatError(f"entry actor: {exc}") from None
    return actor


def _check_statement(value: object) -> dict[str, Any]:
    """An entry's `statement`: a JSON object, not interpreted here (DESIGN §5)."""
    if type(value) is not dict:
        raise FormatError(f"entry statement: expected a JSON object, found {type(value).__name__}")
    return value


def _check_fields(entry: Entry) -> None:
    """Every field rule of a v1 entry (DESIGN §5, "Entry"); FormatError names the first broken."""
    if type(entry.v) is not int or entry.v != FORMAT_VERSION:
        raise FormatError(f"entry v: expected {FORMAT_VERSION}, found {entry.v!r}")
    check_log(entry.log)
    _check_int(entry.seq, "seq", 0, MAX_SEQ)
    _check_bytes(entry.prev, "prev", HASH_SIZE)
    parse_recorded(entry.recorded)
    check_type(entry.type)
    check_actor(entry.actor)
    _check_statement(entry.statement)
    _check_bytes(entry.sig, "sig", ED25519_SIGNATURE_SIZE)


def encode_entry(entry: Entry) -> bytes:
    """The canonical UTF-8 bytes of `entry` (DESIGN §5, RFC 8785 §3.2).

    Applies the same field rules as `parse_entry`, so whatever is encoded can be parsed back.
    Raises FormatError for a bad field or an entry over 65,535 bytes. The signature itself
    is not checked here: that needs the key registry.
    """
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


def parse_entry(data: bytes) -> Entry:
    """Parse entry bytes strictly (DESIGN §5): size, canonical RFC 8785 form, every field.

    Raises FormatError naming the first field that is wrong.
    """
    check_size(data)
    return entry_from_json(parse_canonical(data))


def check_size(data: bytes) -> None:
    """At most 65,535 bytes: a tlog-tiles entry bundle's 16-bit length prefix (DESIGN §5)."""
    if len(data) > MAX_ENTRY_SIZE:
        raise FormatError(f"entry is {len(data)} bytes, at most {MAX_ENTRY_SIZE}")


def entry_from_json(obj: Any) -> Entry:
    """The entry that the JSON value of a canonical entry holds, every field checked (DESIGN §5).

    Raises FormatError naming the first field that is wrong.
    """
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
    )
    _check_fields(entry)
    return entry
