"""The ledger export format (DESIGN §5, "Export"): JSON Lines, read and written as a stream.

Line 1 is `{"type": "ocop-ledger-export/v1", "checkpoint": <signed checkpoint note>,
"vkey": <log vkey>}`; then one `{"index": i, "entry": <base64 of the entry bytes>}` per entry,
in index order from 0, as many as the checkpoint's size. Reading never holds more than one line,
so exports of millions of entries verify in constant memory.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from ledger.checkpoint import open_checkpoint
from ledger.errors import FormatError
from ledger.keys import Verifier, b64decode, canonical_base64
from ledger.strict_json import loads_strict

EXPORT_TYPE = "ocop-ledger-export/v1"

_HEADER_FIELDS = frozenset({"type", "checkpoint", "vkey"})
_ENTRY_FIELDS = frozenset({"index", "entry"})
# The line as write_export lays it out; any other valid JSON goes through json.loads.
_ENTRY_LINE = re.compile(rb'\{"index":(0|[1-9][0-9]{0,15}),"entry":"([A-Za-z0-9+/]*={0,2})"\}\n?')


@dataclass(frozen=True)
class ExportHeader:
    """The export's first line: the signed checkpoint note and the log's vkey."""

    checkpoint: str
    vkey: str


def write_export(
    fp: IO[bytes], checkpoint: str, vkey: str, entries: Iterable[tuple[int, bytes]]
) -> int:
    """Write an export (DESIGN §5) to a binary stream; return the number of entries written.

    The checkpoint must be signed by `vkey` (c2sp.org/tlog-checkpoint), and `entries` must be
    `(0, bytes), (1, bytes), ...` up to the checkpoint's size. Raises the checkpoint's error,
    or FormatError for an entry out of place or a wrong count, after writing what came before:
    write to a temporary file and rename it once this returns.
    """
    size = open_checkpoint(checkpoint, Verifier.from_vkey(vkey)).size
    header = {"type": EXPORT_TYPE, "checkpoint": checkpoint, "vkey": vkey}
    fp.write(json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n")
    count = 0
    for index, data in entries:
        if index != count or index >= size:
            raise FormatError(
                f"export entry {count}: expected index {count} below size {size}, found {index}"
            )
        fp.write(b'{"index":%d,"entry":"%s"}\n' % (index, base64.b64encode(data)))
        count += 1
    if count != size:
        raise FormatError(f"export: the checkpoint has size {size}, but {count} entries came")
    return count


class ExportReader:
    """Streams an export from a binary file: `header` first, then `entries()`.

    Raises FormatError naming the line for anything malformed: the header when constructed,
    an entry line when the iteration reaches it.
    """

    def __init__(self, fp: IO[bytes]) -> None:
        self._fp = fp
        self.header = _parse_header(fp.readline())
        self._started = False
        self._carry = b""  # read by entry_lines beyond the lines it returned
        self._line_size = 1024  # the mean size of the lines read so far, to size reads
        self._offset = fp.tell() if fp.seekable() else None

    @property
    def offset(self) -> int | None:
        """Where in the file the next lines `entry_lines` returns begin (None: not seekable)."""
        return self._offset

    def shared_file(self) -> int | None:
        """The descriptor of a regular file the export is read from, else None.

        A forked process may `os.pread` the lines `entry_lines` returns at `offset` from it,
        instead of being sent them (ledger.fast.readers).
        """
        try:
            descriptor = self._fp.fileno()
            regular = stat.S_ISREG(os.fstat(descriptor).st_mode)
        except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is an OSError
            return None
        return descriptor if regular and self._offset is not None else None

    def entries(self) -> Iterator[tuple[int, bytes]]:
        """`(index, entry bytes)` for each entry line, checking that index counts from 0.

        May be iterated once. Does not know the checkpoint's size: the verifier checks the
        count (ledger.verify).
        """
        if self._started:
            raise RuntimeError("the entries of an export can be read only once")
        self._started = True
        for index, line in enumerate(self._fp):
            yield index, _parse_entry_line(line, index)

    def entry_lines(self, count: int) -> tuple[int, bytes]:
        """The next `count` entry lines (fewer at the end of the file), undecoded and joined.

        Returns how many lines were read and their bytes, for a verifier that decodes them
        elsewhere with `decode_entry_lines` (ledger.fast.verify hands them to worker processes).
        Successive calls continue where the last one stopped; do not mix with `entries()`.
        """
        self._started = True
        parts, lines = [], 0  # lines: newlines in the parts
        if self._carry:
            parts.append(self._carry)
            lines = self._carry.count(b"\n")
            self._carry = b""
        if lines < count:
            # Most lines in one read a little short of them all, sized by the lines so far;
            # then the line it ends in, and the few lines left one by one.
            block = self._fp.read((count - lines) * self._line_size * 31 // 32)
            if block:
                parts.append(block)
                lines += block.count(b"\n")
                if not block.endswith(b"\n"):
                    rest = self._fp.readline()
                    parts.append(rest)
                    lines += rest.endswith(b"\n")
            while lines < count:
                line = self._fp.readline()
                parts.append(line)
                if not line.endswith(b"\n"):  # the end of the file
                    break
                lines += 1
        data = b"".join(parts)
        if lines > count or (lines == count and not data.endswith(b"\n")):
            # more than `count` lines (longer ones than so far): keep the rest for later
            cut = data.rfind(b"\n")
            for _ in range(lines - count):
                cut = data.rfind(b"\n", 0, cut)
            data, self._carry = data[: cut + 1], data[cut + 1 :]
            lines = count
        elif data and not data.endswith(b"\n"):  # the file's last line, without a newline
            lines += 1
        if lines:
            self._line_size = max(1, len(data) // lines)
        if self._offset is not None:
            self._offset += len(data)
        return lines, data


def read_export(fp: IO[bytes]) -> ExportReader:
    """Start reading an export (DESIGN §5) from a binary stream; see ExportReader."""
    return ExportReader(fp)


def decode_entry_lines(
    lines: bytes, first_index: int, stop: int | None = None
) -> tuple[list[bytes], FormatError | None]:
    """Decode joined entry lines from `ExportReader.entry_lines`, line `first_index` first.

    Returns the entries up to the first malformed line and that line's error (None if there
    is none), exactly as `ExportReader.entries()` would have raised it. `stop` ends the
    decoding after that many lines. Lines laid out as `write_export` writes them are decoded
    without a regular expression; any other line is read as `entries()` reads it.
    """
    pieces = lines.split(b"\n")
    if lines.endswith(b"\n"):
        pieces.pop()  # the empty piece after the last newline
    last = len(pieces) - 1
    entries: list[bytes] = []
    for number, piece in enumerate(pieces[:stop]):
        index = first_index + number
        data = _quick_entry_line(piece, index)
        if data is None:
            line = piece if number == last and not lines.endswith(b"\n") else piece + b"\n"
            try:
                data = _parse_entry_line(line, index)
            except FormatError as exc:
                return entries, exc
        entries.append(data)
    return entries, None


def _quick_entry_line(line: bytes, index: int) -> bytes | None:
    """The entry of `{"index":<index>,"entry":"<canonical base64>"}`, else None.

    `canonical_base64` accepts exactly the base64 (RFC 4648 §4) that `_parse_entry_line`
    accepts; anything else is left to it.
    """
    prefix = b'{"index":%d,"entry":"' % index
    if len(line) < len(prefix) + 2 or not line.startswith(prefix) or not line.endswith(b'"}'):
        return None
    return canonical_base64(line[len(prefix) : -2])


def _line_error(index: int, problem: str) -> FormatError:
    # line 1 is the header, so entry i is on line i + 2
    return FormatError(f"entry {index}: export line {index + 2}: {problem}")


def _parse_entry_line(line: bytes, index: int) -> bytes:
    match = _ENTRY_LINE.fullmatch(line)
    if match is not None:
        found, text = int(match[1]), match[2].decode("ascii")
    else:
        found, text = _parse_entry_json(line, index)
    if found != index:
        raise _line_error(index, f"index: expected {index}, found {found}")
    try:
        return b64decode(text, "entry")
    except FormatError as exc:
        raise _line_error(index, str(exc)) from exc


def _parse_entry_json(line: bytes, index: int) -> tuple[int, str]:
    if not line.strip():
        raise _line_error(index, "empty line")
    obj = _load_json(line, lambda problem: _line_error(index, problem))
    if not isinstance(obj, dict) or obj.keys() != _ENTRY_FIELDS:
        found = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise _line_error(index, f"expected fields {sorted(_ENTRY_FIELDS)}, found {found}")
    found, text = obj["index"], obj["entry"]
    if type(found) is not int:
        raise _line_error(index, f"index: expected an integer, found {found!r}")
    if not isinstance(text, str):
        raise _line_error(index, f"entry: expected a base64 string, found {text!r}")
    return found, text


def _parse_header(line: bytes) -> ExportHeader:
    def error(problem: str) -> FormatError:
        return FormatError(f"export line 1 (header): {problem}")

    if not line.strip():
        raise error("missing: the export is empty")
    obj = _load_json(line, error)
    if not isinstance(obj, dict) or obj.keys() != _HEADER_FIELDS:
        found = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise error(f"expected fields {sorted(_HEADER_FIELDS)}, found {found}")
    if obj["type"] != EXPORT_TYPE:
        raise error(f"type: expected {EXPORT_TYPE!r}, found {obj['type']!r}")
    for name in ("checkpoint", "vkey"):
        if not isinstance(obj[name], str):
            raise error(f"{name}: expected a string, found {obj[name]!r}")
    return ExportHeader(obj["checkpoint"], obj["vkey"])


def _load_json(line: bytes, error: Callable[[str], FormatError]) -> Any:
    try:
        return loads_strict(line, "JSON")
    except FormatError as exc:
        raise error(str(exc)) from exc
