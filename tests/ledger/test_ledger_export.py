"""ledger.export: the JSON Lines export of DESIGN §5, written and read as a stream."""

from __future__ import annotations

import base64
import io
import json
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_support import LOG_KEY, SampleLog, make_signer, standard_log

from ledger.errors import FormatError, SignatureError
from ledger.export import (
    EXPORT_TYPE,
    ExportHeader,
    decode_entry_lines,
    read_export,
    write_export,
)


def entries_of(data: bytes) -> list[tuple[int, bytes]]:
    return list(read_export(io.BytesIO(data)).entries())


def with_line(data: bytes, number: int, line: bytes) -> bytes:
    """The export with its line `number` (1-based) replaced."""
    lines = data.split(b"\n")
    lines[number - 1] = line
    return b"\n".join(lines)


def test_an_export_round_trips() -> None:
    log = standard_log()
    data = log.export()
    reader = read_export(io.BytesIO(data))
    assert reader.header == ExportHeader(log.checkpoint(), log.vkey)
    assert list(reader.entries()) == log.pairs()


def test_the_layout_is_the_documented_one() -> None:
    log = standard_log()
    first, second, *_ = log.export().decode().splitlines()
    assert json.loads(first) == {
        "type": "ocop-ledger-export/v1",
        "checkpoint": log.checkpoint(),
        "vkey": log.vkey,
    }
    assert json.loads(second) == {"index": 0, "entry": base64.b64encode(log.entries[0]).decode()}
    assert len(log.export().splitlines()) == 1 + log.size


def test_other_json_spellings_of_a_line_are_read_too() -> None:
    log = standard_log()
    entry = base64.b64encode(log.entries[0]).decode()
    spaced = json.dumps({"entry": entry, "index": 0}, indent=1).replace("\n", " ").encode()
    assert entries_of(with_line(log.export(), 2, spaced))[0] == (0, log.entries[0])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"not json", "entry 0: export line 2: JSON: not JSON"),
        (b"", "entry 0: export line 2: empty line"),
        (b"[1, 2]", "entry 0: export line 2: expected fields ['entry', 'index'], found list"),
        (b'{"index": 0}', "found ['index']"),
        (b'{"index": 0, "entry": "", "proof": []}', "found ['entry', 'index', 'proof']"),
        (b'{"index": 0, "index": 0, "entry": ""}', "duplicate object name 'index'"),
        (b'{"index": "0", "entry": ""}', "index: expected an integer, found '0'"),
        (b'{"index": true, "entry": ""}', "index: expected an integer, found True"),
        (b'{"index": 1, "entry": ""}', "entry 0: export line 2: index: expected 0, found 1"),
        (b'{"index": 0, "entry": 5}', "entry: expected a base64 string, found 5"),
        (b'{"index":0,"entry":"AAB="}', "entry: not canonical base64"),
        (b'{"index":0,"entry":"A*=="}', "entry: not standard base64"),
    ],
)
def test_malformed_entry_lines_are_format_errors(line: bytes, message: str) -> None:
    data = with_line(standard_log().export(), 2, line)
    with pytest.raises(FormatError, match=r"^entry 0: export line 2: ") as caught:
        entries_of(data)
    assert message in str(caught.value)


def test_an_error_comes_only_when_the_iteration_reaches_it() -> None:
    log = standard_log()
    data = with_line(log.export(), 5, b"garbage")
    entries = read_export(io.BytesIO(data)).entries()
    assert [next(entries) for _ in range(3)] == log.pairs()[:3]
    with pytest.raises(FormatError, match=r"^entry 3: export line 5: "):
        next(entries)


def test_a_blank_line_at_the_end_is_malformed() -> None:
    log = standard_log()
    with pytest.raises(FormatError, match=f"^entry {log.size}: export line {log.size + 2}: empty"):
        entries_of(log.export() + b"\n")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"", "missing: the export is empty"),
        (b"{", "not JSON"),
        (b'{"type": "ocop-ledger-export/v2", "checkpoint": "", "vkey": ""}', "type: expected"),
        (b'{"type": "ocop-ledger-export/v1", "checkpoint": ""}', "expected fields"),
        (b'{"type": "ocop-ledger-export/v1", "checkpoint": 1, "vkey": ""}', "checkpoint: expected"),
    ],
)
def test_a_malformed_header_is_refused_at_once(header: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=r"^export line 1 \(header\): ") as caught:
        read_export(io.BytesIO(header + b"\n"))
    assert message in str(caught.value)


def test_write_export_checks_indices_and_count() -> None:
    log = standard_log()
    with pytest.raises(FormatError, match="expected index 1 below size"):
        write_export(io.BytesIO(), log.checkpoint(), log.vkey, [(0, b"x"), (2, b"y")])
    with pytest.raises(FormatError, match=f"checkpoint has size {log.size}, but 2 entries came"):
        write_export(io.BytesIO(), log.checkpoint(), log.vkey, log.pairs()[:2])
    with pytest.raises(FormatError, match="expected index 3 below size 3"):
        write_export(io.BytesIO(), log.checkpoint(3), log.vkey, log.pairs())


def test_write_export_refuses_a_checkpoint_not_signed_by_the_vkey() -> None:
    log = standard_log()
    other = make_signer(log.origin, 66).verifier.vkey
    assert other != LOG_KEY.verifier.vkey
    with pytest.raises(SignatureError):
        write_export(io.BytesIO(), log.checkpoint(), other, log.pairs())


def test_reading_streams_in_constant_memory(tmp_path: Path) -> None:
    log = SampleLog()
    path = tmp_path / "big.jsonl"
    entry = log.entries[0]
    with path.open("wb") as fp:
        fp.write(json.dumps({"type": EXPORT_TYPE, "checkpoint": "c", "vkey": "v"}).encode())
        fp.write(b"\n")
        for index in range(20_000):
            fp.write(b'{"index":%d,"entry":"%s"}\n' % (index, base64.b64encode(entry)))
    tracemalloc.start()
    try:
        with path.open("rb") as fp:
            count = sum(1 for _ in read_export(fp).entries())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert path.stat().st_size > 5_000_000 and peak < 500_000


# ------------------------------------- decode_entry_lines: what the verifier's workers read


def read_as_entries(data: bytes) -> tuple[list[bytes], str | None]:
    """What ExportReader.entries() yields before its first error, and that error."""
    found: list[bytes] = []
    try:
        for _, entry in read_export(io.BytesIO(data)).entries():
            found.append(entry)
    except FormatError as exc:
        return found, str(exc)
    return found, None


def read_as_lines(data: bytes, batch: int) -> tuple[list[bytes], str | None]:
    """The same through ExportReader.entry_lines and decode_entry_lines, `batch` lines a time."""
    reader = read_export(io.BytesIO(data))
    found: list[bytes] = []
    while True:
        count, lines = reader.entry_lines(batch)
        if not count:
            return found, None
        entries, error = decode_entry_lines(lines, len(found))
        found.extend(entries)
        if error is not None:
            return found, str(error)
        assert len(entries) == count <= batch


LINE_EDITS = [b" ", b"\r", b"\n", b"=", b"A", b"B", b'"', b"}", b"0", b"1", b"x", b"\xc3\xa9"]


@st.composite
def edited_exports(draw: st.DrawFn) -> bytes:
    data = EDITED_LOG.export()
    if draw(st.booleans()):
        data = data.rstrip(b"\n")  # the last line without its newline
    header_end = data.index(b"\n") + 1
    position = draw(st.integers(min_value=header_end, max_value=len(data)))
    kind = draw(st.sampled_from(["insert", "delete", "replace", "pad bits", "none"]))
    if kind == "none":
        return data
    if kind == "pad bits":  # a last base64 digit with unused bits set (RFC 4648 §3.5)
        padded = [i for i in range(len(data)) if data.startswith(b'="}', i)]
        at = padded[draw(st.integers(min_value=0, max_value=len(padded) - 1))] - 1
        while data[at] == ord("="):
            at -= 1
        return data[:at] + b"B" + data[at + 1 :]
    if kind == "delete":
        return data[:position] + data[position + 1 :]
    edit = draw(st.sampled_from(LINE_EDITS))
    if kind == "insert":
        return data[:position] + edit + data[position:]
    return data[:position] + edit + data[position + len(edit) :]


EDITED_LOG = standard_log(3)


@settings(max_examples=600, deadline=None)
@given(edited_exports(), st.sampled_from([1, 2, 3, 4, 5, 7, 100]))
def test_decoding_lines_in_batches_reads_what_the_entries_iterator_reads(
    data: bytes, batch: int
) -> None:
    assert read_as_lines(data, batch) == read_as_entries(data)


def test_lines_without_a_final_newline_and_spelled_otherwise_are_read_too() -> None:
    log = standard_log(2)
    entry = base64.b64encode(log.entries[1]).decode()
    spaced = json.dumps({"entry": entry, "index": 1}).encode()
    data = with_line(log.export(), 3, spaced).rstrip(b"\n")
    assert read_as_lines(data, 3) == read_as_entries(data) == (log.entries, None)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=3000), max_size=40),
    st.booleans(),
    st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=30),
)
def test_entry_lines_returns_exactly_the_lines_asked_for(
    sizes: list[int], final_newline: bool, counts: list[int]
) -> None:
    header = EDITED_LOG.export().split(b"\n")[0] + b"\n"
    lines = [b"x" * size + b"\n" for size in sizes]
    if lines and not final_newline:
        lines[-1] = lines[-1][:-1]
        if not lines[-1]:
            lines.pop()  # no characters after the last newline: no line
    reader = read_export(io.BytesIO(header + b"".join(lines)))
    at = 0
    for count in counts:
        offset = reader.offset
        got, data = reader.entry_lines(count)
        expected = lines[at : at + count]
        assert (got, data) == (len(expected), b"".join(expected))
        assert offset == len(header) + sum(map(len, lines[:at]))
        at += got
