"""Cutting the input of a fast verification into batches for the workers (ledger.fast.batch).

Each reader checks what needs no entry to be parsed (every entry's index, the checkpoint's
size) and keeps a failure in `error`, raised once the entries before it have been checked.
Batches reach forked workers through a file they share (`SharedBatches`) rather than pickled.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence

from ledger.entry import MAX_ENTRY_SIZE
from ledger.errors import LedgerError
from ledger.export import ExportReader, decode_entry_lines
from ledger.fast.batch import EntryBatch
from ledger.fast.key_hints import KeyHints
from ledger.verify import beyond_checkpoint, index_error

BATCH_SIZE = 2_000
"""Entries per worker task: large enough to amortise the inter-process transfer."""

TAIL_BATCHES = 4
"""The last this many batches' worth of entries of a log at least 4 times as long go in batches
8 times smaller, so that the workers finish together, not one checking the last batch alone."""

EntryChunk = tuple[int, Sequence[bytes]]
"""The index of an entry and the bytes of it and of the entries right after it."""


class SharedBatches:
    """An unlinked file through which workers forked from this process get their batches.

    Through the pool's pipe, a batch's entries are pickled here and unpickled there: about
    0.5 µs an entry in this process. Here they are written with one `os.pwrite` and the
    worker reads them with one `os.pread` (EntryBatch.shared_entries). A batch holds one of
    `slots` regions of the file from when it is made until its result has been accepted
    (`release`); when none is free, or the batch does not fit, it goes through the pipe.
    """

    def __init__(self, slots: int) -> None:
        self._descriptor = _anonymous_file()
        self._free = list(range(slots))
        # Regions far apart in a sparse file: a batch of the largest entries fits.
        self._slot_size = BATCH_SIZE * (MAX_ENTRY_SIZE + 1)

    def batch(
        self,
        first_index: int,
        entries: list[bytes],
        known_keys: Mapping[str, bytes],
        origin: str,
        fields: bool,
    ) -> EntryBatch:
        """An EntryBatch whose entries a forked worker reads from the file, if there is room."""
        data = b"".join(entries)
        if self._free and len(data) <= self._slot_size:
            slot = self._free.pop()
            offset = slot * self._slot_size
            try:
                written = os.pwrite(self._descriptor, data, offset)
            except OSError:  # no room on the file system: the pipe will do
                written = -1
            if written == len(data):
                sizes = array("Q", map(len, entries)).tobytes()
                return EntryBatch(
                    first_index,
                    entries,
                    known_keys,
                    origin,
                    fields=fields,
                    shared_entries=(self._descriptor, offset, sizes),
                )
            self._free.append(slot)
        return EntryBatch(first_index, entries, known_keys, origin, fields=fields)

    def release(self, batch: EntryBatch) -> None:
        """`batch` is done with: its region may take another."""
        if batch.shared_entries is not None:
            self._free.append(batch.shared_entries[1] // self._slot_size)

    def close(self) -> None:
        os.close(self._descriptor)


def _anonymous_file() -> int:
    """A descriptor of a file with no name (in memory where the system allows)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("ledger-verify")
    with tempfile.TemporaryFile() as file:
        return os.dup(file.fileno())


class BatchSource:
    """Batches for the workers from some input; a failure while reading is kept in `error`.

    A failure while reading (a wrong index, an entry beyond `limit`, or an error raised by
    the input) ends the batches after the entries read before it, and is kept in `error`, to
    be raised once those entries have been checked.
    """

    error: LedgerError | None = None

    def batches(
        self, keys: KeyHints, origin: str, *, fields: bool, shared: SharedBatches | None
    ) -> Iterator[EntryBatch]:
        """The batches, each with the key hints known once it has been read; `shared`: for
        workers forked from this process, which share its open files."""
        raise NotImplementedError


def _batch(
    shared: SharedBatches | None,
    first_index: int,
    entries: list[bytes],
    known_keys: Mapping[str, bytes],
    origin: str,
    fields: bool,
) -> EntryBatch:
    if shared is None:
        return EntryBatch(first_index, entries, known_keys, origin, fields=fields)
    return shared.batch(first_index, entries, known_keys, origin, fields)


def _batch_size(position: int, limit: int) -> int:
    """Entries for the batch from `position` of a log of `limit` entries (see TAIL_BATCHES)."""
    tail = TAIL_BATCHES * BATCH_SIZE
    if limit - position > tail or limit < 4 * tail:
        return BATCH_SIZE
    return max(1, BATCH_SIZE // 8)


def chunks_of_pairs(entries: Iterable[tuple[int, bytes]], start: int) -> Iterator[EntryChunk]:
    """`(index, bytes)` pairs from `start` on as runs of consecutive entries (see EntryChunk).

    A wrong index, or a LedgerError raised by `entries`, ends the runs: the run read before
    it comes first, then the error, so that the entries before it are checked first.
    """
    first, run = start, list[bytes]()
    try:
        for index, data in entries:
            if index != first + len(run):
                raise index_error(first + len(run), index)
            run.append(data)
            if len(run) == BATCH_SIZE:
                yield first, run
                first, run = first + len(run), []
    except LedgerError:
        if run:
            yield first, run
        raise
    if run:
        yield first, run


class ChunkReader(BatchSource):
    """Cuts runs of consecutive entries into batches, checking indices and the size limit."""

    def __init__(self, chunks: Iterable[EntryChunk], start: int, limit: int) -> None:
        self._chunks = chunks
        self._start = start
        self._limit = limit

    def batches(
        self, keys: KeyHints, origin: str, *, fields: bool, shared: SharedBatches | None
    ) -> Iterator[EntryBatch]:
        position = self._start
        try:
            for first, entries in self._chunks:
                if first != position:
                    raise index_error(position, first)
                offset = 0
                while offset < len(entries):
                    size = _batch_size(position, self._limit)
                    batch = list(entries[offset : offset + size])
                    offset += size
                    beyond = position + len(batch) - self._limit
                    if beyond > 0:
                        batch = batch[: len(batch) - beyond]
                    if batch:
                        keys.scan(batch)
                        yield _batch(shared, position, batch, keys.snapshot(), origin, fields)
                        position += len(batch)
                    if beyond > 0:
                        raise beyond_checkpoint(position, self._limit)
        except LedgerError as exc:
            self.error = exc


class ExportLineReader(BatchSource):
    """Reads an export's entry lines in batches, undecoded: the workers decode them."""

    def __init__(self, reader: ExportReader, start: int, limit: int) -> None:
        self._reader = reader
        self._start = start
        self._limit = limit

    def batches(
        self, keys: KeyHints, origin: str, *, fields: bool, shared: SharedBatches | None
    ) -> Iterator[EntryBatch]:
        # Forked workers read the lines from the file themselves (os.pread): sending them
        # through a pipe would copy every byte half a dozen times.
        export = self._reader.shared_file() if shared is not None and hasattr(os, "pread") else None
        position = self._start
        while position < self._limit:
            offset = self._reader.offset
            count, lines = self._reader.entry_lines(
                min(_batch_size(position, self._limit), self._limit - position)
            )
            if count == 0:
                return  # fewer entries than the checkpoint says: LogVerifier.finish reports it
            keys.scan_export_lines(lines)
            if export is not None and offset is not None:
                yield EntryBatch(
                    position,
                    (),
                    keys.snapshot(),
                    origin,
                    fields=fields,
                    shared_lines=(export, offset, len(lines), count),
                )
            else:
                yield EntryBatch(position, (), keys.snapshot(), origin, lines=lines, fields=fields)
            position += count
        count, extra = self._reader.entry_lines(1)
        if count:
            # ExportReader.entries() decodes a line before the count is checked
            _, error = decode_entry_lines(extra, position)
            self.error = error or beyond_checkpoint(position, self._limit)
