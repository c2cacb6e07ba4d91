"""Ledger entry format v1 (ledger.entry): DESIGN §5, strict parsing, round trips."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.entry import (
    GENESIS_PREV,
    MAX_ENTRY_SIZE,
    Entry,
    parse_entry,
    parse_recorded,
    statement_message,
)
from ledger.errors import FormatError, SignatureError
from ledger.jcs import canonicalize
from ledger.signing import Signer, build_entry, format_recorded, sign_statement

LOG = "truyxuat.ocop.example.vn/log"
SIGNER = Signer.from_seed("truyxuat.ocop.example.vn/producer-1", bytes(range(32)))
STATEMENT: dict[str, Any] = {
    "product": {"name": {"vi": "Trà Shan tuyết Cổ thụ", "en": "Ancient Shan Tuyet tea"}},
    "stars": 4,
    "certified": True,
    "gln": None,
}
RECORDED = "2026-11-28T14:42:43.123Z"
_REMOVE = object()


def _fields(**changes: Any) -> dict[str, Any]:
    """A valid entry as a JSON object, with some fields changed (None removes a field)."""
    sig = sign_statement(SIGNER, "product.certified", STATEMENT)
    fields: dict[str, Any] = {
        "v": 1,
        "log": LOG,
        "seq": 7,
        "prev": base64.b64encode(bytes(range(32))).decode(),
        "recorded": RECORDED,
        "type": "product.certified",
        "actor": SIGNER.key_name,
        "statement": STATEMENT,
        "sig": base64.b64encode(sig).decode(),
    }
    for name, value in changes.items():
        if value is _REMOVE:
            del fields[name]
        else:
            fields[name] = value
    return fields


def _valid_entry_bytes() -> bytes:
    return canonicalize(_fields())


def test_round_trip() -> None:
    sig = sign_statement(SIGNER, "product.certified", STATEMENT)
    data = build_entry(
        LOG, 7, bytes(range(32)), RECORDED, "product.certified", SIGNER.key_name, STATEMENT, sig
    )
    assert data == _valid_entry_bytes()
    entry = parse_entry(data)
    assert entry == Entry(
        1, LOG, 7, bytes(range(32)), RECORDED, "product.certified", SIGNER.key_name, STATEMENT, sig
    )
    assert entry.encode() == data
    SIGNER.verifier.verify(entry.signed_message(), entry.sig)


def test_entry_bytes_are_the_canonical_json_of_design_5() -> None:
    data = _valid_entry_bytes()
    assert data.startswith(b'{"actor":"truyxuat.ocop.example.vn/producer-1+')
    assert "Trà Shan tuyết Cổ thụ".encode() in data  # UTF-8, not \u escapes
    assert b" " not in data.replace(b"Ancient Shan Tuyet tea", b"").replace(
        "Trà Shan tuyết Cổ thụ".encode(), b""
    )


def test_statement_message_is_domain_prefix_plus_jcs_of_actor_statement_type() -> None:
    message = statement_message("a+0000abcd", "x.y", {"z": 1, "a": "ả"})
    assert message == (
        b'ocop-ledger/statement/v1\n{"actor":"a+0000abcd","statement":{"a":"\xe1\xba\xa3","z":1},'
        b'"type":"x.y"}'
    )


def test_signature_covers_actor_type_and_statement() -> None:
    entry = parse_entry(_valid_entry_bytes())
    SIGNER.verifier.verify(entry.signed_message(), entry.sig)
    for changed in (
        statement_message(entry.actor, "product.revoked", entry.statement),
        statement_message(entry.actor, entry.type, {**entry.statement, "stars": 5}),
        statement_message("other+00000000", entry.type, entry.statement),
    ):
        with pytest.raises(SignatureError):
            SIGNER.verifier.verify(changed, entry.sig)


def test_genesis_prev_is_32_zero_bytes() -> None:
    assert GENESIS_PREV == b"\x00" * 32
    data = canonicalize(_fields(seq=0, prev=base64.b64encode(GENESIS_PREV).decode()))
    assert parse_entry(data).prev == GENESIS_PREV


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda d: d.replace(b",", b", ", 1), id="space-after-comma"),
        pytest.param(lambda d: d + b"\n", id="trailing-newline"),
        pytest.param(lambda d: b" " + d, id="leading-space"),
        pytest.param(lambda d: json.dumps(json.loads(d)).encode(), id="json-dumps-default"),
        pytest.param(
            lambda d: json.dumps(json.loads(d), sort_keys=True, separators=(",", ":")).encode(),
            id="ascii-escaped-unicode",
        ),
        pytest.param(lambda d: d.replace(b'"stars":4', b'"stars":4.0'), id="float-form-of-int"),
        pytest.param(lambda d: d.replace(b'"stars":4', b'"stars":4e0'), id="exponent-form"),
        pytest.param(lambda d: d.replace(b'{"actor"', b'{"v":1,"actor"'), id="duplicate-key"),
        pytest.param(
            lambda d: d.replace(b'"certified":true', b'"certified":true,"certified":true'),
            id="duplicate-statement-key",
        ),
        pytest.param(lambda d: d.replace(b'"stars":4', b'"stars":4,"a":1'), id="unsorted-keys"),
        pytest.param(lambda d: d.replace("Trà".encode(), b"Tr\\u00e0"), id="escaped-non-ascii"),
        pytest.param(lambda d: d.replace(b'"stars":4', b'"stars":NaN'), id="nan"),
        pytest.param(lambda d: d.replace("Trà".encode(), b"Tr\xe0"), id="latin-1-byte"),
        pytest.param(lambda d: d[:-1], id="truncated"),
        pytest.param(lambda d: b"\xef\xbb\xbf" + d, id="byte-order-mark"),
    ],
)
def test_non_canonical_entries_are_rejected(mangle: Any) -> None:
    with pytest.raises(FormatError):
        parse_entry(mangle(_valid_entry_bytes()))


def _padded_statement(total_size: int) -> dict[str, Any]:
    """A statement whose entry is exactly `total_size` bytes long."""
    base = len(canonicalize(_fields(statement={"pad": ""})))
    return {"pad": "x" * (total_size - base)}


def test_entry_of_exactly_65535_bytes_is_accepted() -> None:
    statement = _padded_statement(MAX_ENTRY_SIZE)
    data = canonicalize(_fields(statement=statement))
    assert len(data) == MAX_ENTRY_SIZE
    assert parse_entry(data).statement == statement


def test_oversize_entries_are_rejected_when_built_and_when_parsed() -> None:
    statement = _padded_statement(MAX_ENTRY_SIZE + 1)
    data = canonicalize(_fields(statement=statement))
    assert len(data) == MAX_ENTRY_SIZE + 1
    with pytest.raises(FormatError, match="at most 65535"):
        parse_entry(data)
    with pytest.raises(FormatError, match="at most 65535"):
        build_entry(
            LOG, 7, bytes(32), RECORDED, "product.certified", SIGNER.key_name, statement, bytes(64)
        )


B64_32 = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"v": 2}, "v"),
        ({"v": 0}, "v"),
        ({"v": "1"}, "v"),
        ({"v": True}, "v"),
        ({"v": _REMOVE}, "missing \\['v'\\]"),
        ({"extra": 1}, "unexpected \\['extra'\\]"),
        ({"log": ""}, "log"),
        ({"log": 5}, "log"),
        ({"log": None}, "log"),
        ({"log": "a\nb"}, "log"),
        ({"seq": -1}, "seq"),
        ({"seq": "7"}, "seq"),
        ({"seq": True}, "seq"),
        ({"seq": 1.5}, "seq"),
        ({"seq": None}, "seq"),
        ({"prev": base64.b64encode(bytes(31)).decode()}, "prev"),
        ({"prev": base64.b64encode(bytes(33)).decode()}, "prev"),
        ({"prev": B64_32.rstrip("=")}, "prev"),
        ({"prev": "!" + B64_32[1:]}, "prev"),
        ({"prev": base64.urlsafe_b64encode(b"\xfb" * 32).decode()}, "prev"),
        ({"prev": B64_32[:-2] + "B="}, "prev"),
        ({"prev": list(range(32))}, "prev"),
        ({"prev": None}, "prev"),
        ({"recorded": "2026-11-28T14:42:43Z"}, "recorded"),
        ({"recorded": "2026-11-28T14:42:43.12Z"}, "recorded"),
        ({"recorded": "2026-11-28T14:42:43.1234Z"}, "recorded"),
        ({"recorded": "2026-11-28T14:42:43.123+00:00"}, "recorded"),
        ({"recorded": "2026-11-28T21:42:43.123+07:00"}, "recorded"),
        ({"recorded": "2026-11-28t14:42:43.123z"}, "recorded"),
        ({"recorded": "2026-11-28 14:42:43.123Z"}, "recorded"),
        ({"recorded": "2026-02-30T14:42:43.123Z"}, "recorded"),
        ({"recorded": "2026-11-28T24:00:00.000Z"}, "recorded"),
        ({"recorded": "2026-12-31T23:59:60.000Z"}, "recorded"),
        ({"recorded": "２０２６-11-28T14:42:43.123Z"}, "recorded"),
        ({"recorded": "2026-11-28"}, "recorded"),
        ({"recorded": 1764340963123}, "recorded"),
        ({"type": ""}, "type"),
        ({"type": "event"}, "type"),
        ({"type": "Event.Recorded"}, "type"),
        ({"type": "event recorded"}, "type"),
        ({"type": "event..recorded"}, "type"),
        ({"type": 5}, "type"),
        ({"actor": "alice"}, "actor"),
        ({"actor": "alice+0000000"}, "actor"),
        ({"actor": "alice+0000000g"}, "actor"),
        ({"actor": "alice+ABCDEF01"}, "actor"),
        ({"actor": "al ice+abcdef01"}, "actor"),
        ({"actor": "+abcdef01"}, "actor"),
        ({"actor": SIGNER.vkey}, "actor"),
        ({"actor": 7}, "actor"),
        ({"statement": []}, "statement"),
        ({"statement": "text"}, "statement"),
        ({"statement": None}, "statement"),
        ({"sig": base64.b64encode(bytes(63)).decode()}, "sig"),
        ({"sig": base64.b64encode(bytes(65)).decode()}, "sig"),
        ({"sig": "not base64"}, "sig"),
        ({"sig": 0}, "sig"),
    ],
)
def test_every_malformed_field_is_rejected(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(FormatError, match=problem):
        parse_entry(canonicalize(_fields(**changes)))


@pytest.mark.parametrize(
    "data",
    [
        b"[]",
        b'"entry"',
        b"null",
        b"",
        b"{}",
        b'{"v":1,"seq":9007199254740992}',
        b"\xff",
    ],
)
def test_non_objects_and_garbage_are_rejected(data: bytes) -> None:
    with pytest.raises(FormatError):
        parse_entry(data)


def test_seq_beyond_the_json_safe_integer_range_is_rejected() -> None:
    data = _valid_entry_bytes().replace(b'"seq":7', b'"seq":9007199254740992')
    with pytest.raises(FormatError):
        parse_entry(data)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"log": ""}, "log"),
        ({"seq": -1}, "seq"),
        ({"prev": bytes(31)}, "prev"),
        ({"recorded": "yesterday"}, "recorded"),
        ({"type": "x"}, "type"),
        ({"actor": "bob"}, "actor"),
        ({"statement": ["not", "an", "object"]}, "statement"),
        ({"sig": bytes(63)}, "sig"),
        ({"statement": {"bad": float("nan")}}, "canonicalize"),
    ],
)
def test_build_entry_refuses_what_parse_entry_would_reject(
    kwargs: dict[str, Any], problem: str
) -> None:
    arguments: dict[str, Any] = {
        "log": LOG,
        "seq": 1,
        "prev": bytes(32),
        "recorded": RECORDED,
        "type": "a.b",
        "actor": SIGNER.key_name,
        "statement": {},
        "sig": bytes(64),
        **kwargs,
    }
    with pytest.raises(FormatError, match=problem):
        build_entry(**arguments)


def test_format_recorded() -> None:
    moment = datetime(2026, 11, 28, 14, 42, 43, 123999, tzinfo=UTC)
    assert format_recorded(moment) == "2026-11-28T14:42:43.123Z"  # truncated, not rounded
    hanoi = timezone(timedelta(hours=7))
    assert format_recorded(datetime(2026, 11, 28, 21, 42, 43, tzinfo=hanoi)) == (
        "2026-11-28T14:42:43.000Z"
    )
    assert format_recorded(datetime(5, 1, 2, tzinfo=UTC)) == "0005-01-02T00:00:00.000Z"
    with pytest.raises(FormatError, match="timezone"):
        format_recorded(datetime(2026, 11, 28))


def test_parse_recorded_inverts_format_recorded() -> None:
    moment = datetime(2026, 11, 28, 14, 42, 43, 123000, tzinfo=UTC)
    assert parse_recorded(format_recorded(moment)) == moment


_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(st.characters(exclude_categories=["Cs"]))
    | st.sampled_from(["Trà Shan tuyết Cổ thụ", "Hợp tác xã Nông nghiệp Tả Phìn", "Đắk Lắk"])
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), inner, max_size=4)
    ),
    max_leaves=20,
)
_STATEMENTS = st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), _JSON, max_size=6)
_RECORDED_TIMES = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=150, deadline=None)
@given(
    statement=_STATEMENTS,
    seq=st.integers(0, 2**53 - 1),
    prev=st.binary(min_size=32, max_size=32),
    moment=_RECORDED_TIMES,
    statement_type=st.sampled_from(["event.recorded", "batch.created", "recall.issued"]),
)
def test_random_entries_round_trip_and_verify(
    statement: dict[str, Any], seq: int, prev: bytes, moment: datetime, statement_type: str
) -> None:
    recorded = format_recorded(moment)
    sig = sign_statement(SIGNER, statement_type, statement)
    data = build_entry(LOG, seq, prev, recorded, statement_type, SIGNER.key_name, statement, sig)
    entry = parse_entry(data)
    assert entry.statement == statement
    assert (entry.seq, entry.prev, entry.recorded, entry.sig) == (seq, prev, recorded, sig)
    assert entry.encode() == data
    assert parse_recorded(entry.recorded) == moment.replace(
        microsecond=moment.microsecond // 1000 * 1000
    )
    SIGNER.verifier.verify(entry.signed_message(), entry.sig)


@settings(max_examples=300, deadline=None)
@given(
    statement=st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=6,
    )
)
def test_a_parsed_entry_signs_the_same_bytes_as_the_statement_message(
    statement: dict[str, object],
) -> None:
    """DESIGN §5: the fast scanner cuts the message from the entry's own bytes; it must not
    differ from the reference's, encoded from the parsed entry."""
    from ledger.entry import GENESIS_PREV, statement_message
    from ledger.fast.scanner import EntryScanner
    from ledger.signing import build_entry

    actor = "htx-ban-me+0a1b2c3d"
    data = build_entry(
        "truyxuat.example.vn/log",
        7,
        GENESIS_PREV,
        "2026-11-28T14:42:43.123Z",
        "event.recorded",
        actor,
        statement,
        bytes(64),
    )
    entry = parse_entry(data)
    scanned = EntryScanner().scan(data, None, 7)
    assert scanned is not None
    assert scanned.message == entry.signed_message()
    assert entry.signed_message() == statement_message(actor, "event.recorded", statement)
