"""ledger.entry.EntryScanner: the verifier's quick entry check agrees with parse_entry exactly."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_support import PRODUCER, SampleLog, standard_log

from ledger.entry import parse_entry
from ledger.errors import FormatError
from ledger.fast.scanner import EntryScanner, ScannedEntry
from ledger.keys import b64encode, canonical_base64
from ledger.merkle import leaf_hash


def sample_log() -> SampleLog:
    log = standard_log(4)
    log.record(PRODUCER, 7)
    # statements the layout must handle: non-ASCII text, nesting, numbers, escapes
    log.append(PRODUCER, "product.registered", {"name": "Nước mắm Phú Quốc", "stars": 4})
    log.append(PRODUCER, "event.recorded", {"a": {"b": [1, -2, True, None]}, "q": 'x"\\\n'})
    log.append(PRODUCER, "x.y", {})
    return log


LOG = sample_log()
PREVS = [None] + [base64.b64encode(leaf_hash(data)) for data in LOG.entries[:-1]]


def agrees(scanned: ScannedEntry, data: bytes) -> bool:
    entry = parse_entry(data)
    return scanned == ScannedEntry(
        entry.seq,
        entry.log,
        b64encode(entry.prev).encode(),
        entry.type,
        entry.actor,
        entry.sig,
        entry.signed_message(),
    )


def warm_scanner() -> EntryScanner:
    scanner = EntryScanner()
    for data in LOG.entries:
        assert scanner.scan(data) is not None
    return scanner


def test_every_entry_of_a_log_is_scanned_as_parse_entry_reads_it() -> None:
    scanner = EntryScanner()
    for index, data in enumerate(LOG.entries):
        scanned = scanner.scan(data, PREVS[index], index)
        assert scanned is not None and agrees(scanned, data)


def test_known_values_are_recognised_by_their_layout_alone() -> None:
    scanner = warm_scanner()
    with mock.patch.object(EntryScanner, "_scan_parsed", side_effect=AssertionError("parsed")):
        for index, data in enumerate(LOG.entries):
            scanned = scanner.scan(data, PREVS[index], index)
            assert scanned is not None and agrees(scanned, data)


# Edits aimed at every member of the layout: quotes, escapes, digits, base64, times, spaces.
TOKENS = [b" ", b'"', b"\\", b"0", b"1", b"9", b"=", b"A", b"B", b"+", b",", b"}", b":", b"T"]
REPLACEMENTS = [
    (b'"seq":', b'"seq":0'),
    (b'"seq":', b'"seq":-'),
    (b"T14:", b"T24:"),
    (b":42:", b":60:"),
    (b"-11-28", b"-02-30"),
    (b"2026-", b"0000-"),
    (b".1", b".x"),
    (b'"v":1', b'"v":2'),
    (b'"v":1', b'"v":1.0'),
    (b'"log":"', b'"log":"x'),
    (b'"type":"', b'"type":"X'),
    (b'"actor":"', b'"actor":"+'),
    (b'=","recorded"', b'A","recorded"'),
    (b'==","statement"', b'Q=","statement"'),
    (b'==","statement"', b'AA","statement"'),
    (b'","statement":{', b'","statement":['),
    (b'":4', b'":4.0'),
    (b'":4', b'":04'),
    (b"\\n", b"\\u000a"),
    (b"\\n", b"\\u000A"),
    (b"N\xc6\xb0", b"N\\u01b0"),
    (b"{", b"{ "),
    (b'"a":', b'"a":1,"a":'),
]


@st.composite
def edited_entries(draw: st.DrawFn) -> tuple[int, bytes]:
    index = draw(st.integers(min_value=0, max_value=LOG.size - 1))
    data = LOG.entries[index]
    kind = draw(st.sampled_from(["token", "replace", "delete", "pad bits", "none"]))
    if kind == "none":
        return index, data
    if kind == "pad bits":  # a base64 digit whose unused low bits are not zero (RFC 4648 §3.5)
        end = draw(st.sampled_from([b'=","recorded"', b'==","statement"']))
        last_digit = data.find(end) - 1
        return index, data[:last_digit] + b"B" + data[last_digit + 1 :]
    if kind == "replace":
        old, new = draw(st.sampled_from(REPLACEMENTS))
        return index, data.replace(old, new, 1)
    position = draw(st.integers(min_value=0, max_value=len(data)))
    if kind == "delete":
        return index, data[:position] + data[position + 1 :]
    token = draw(st.sampled_from(TOKENS))
    cut = draw(st.integers(min_value=0, max_value=len(token)))
    return index, data[:position] + token + data[position + cut :]


def parse_or_none(data: bytes) -> Any:
    try:
        return parse_entry(data)
    except FormatError:
        return None


@settings(max_examples=1500, deadline=None)
@given(edited_entries(), st.booleans())
def test_an_entry_scans_only_if_parse_entry_accepts_it_and_as_it_reads_it(
    edited: tuple[int, bytes], warm: bool
) -> None:
    index, data = edited
    scanner = warm_scanner() if warm else EntryScanner()
    for expected_seq in (index, None):
        scanned = scanner.scan(data, PREVS[index], expected_seq)
        if scanned is not None:
            assert parse_or_none(data) is not None, data
            assert agrees(scanned, data)


@settings(max_examples=300, deadline=None)
@given(edited_entries())
def test_a_canonical_entry_is_never_refused(edited: tuple[int, bytes]) -> None:
    index, data = edited
    entry = parse_or_none(data)
    if entry is None or entry.seq != index:
        return
    assert warm_scanner().scan(data, PREVS[index], index) is not None


def test_an_oversized_entry_is_refused() -> None:
    big = b'"statement":{"blob":"' + b"x" * 66_000 + b'"}'
    data = LOG.entries[-1].replace(b'"statement":{}', big)
    assert len(data) > 65_535
    assert warm_scanner().scan(data, PREVS[-1], LOG.size - 1) is None
    with pytest.raises(FormatError, match="at most 65535"):
        parse_entry(data)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="AQgwBEIMz90+/=\n ", max_size=12))
def test_canonical_base64_accepts_exactly_what_b64decode_accepts(text: str) -> None:
    try:
        expected: bytes | None = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        expected = None
    if expected is not None and base64.b64encode(expected).decode() != text:
        expected = None
    assert canonical_base64(text.encode()) == expected


@given(st.binary(max_size=70))
def test_canonical_base64_reads_every_encoding(data: bytes) -> None:
    assert canonical_base64(base64.b64encode(data)) == data
