"""Verifying a whole log against its signed checkpoint, on every core (DESIGN §5).

`verify_log` opens the checkpoint with the log's vkey (c2sp.org/tlog-checkpoint), then replays
the entries in order: canonical form, `seq`, `log`, the `prev` chain, the trust chain and each
actor's Ed25519 signature, building the RFC 6962 §2.1 tree whose root the checkpoint must
match. Batches of a few thousand entries are parsed, hashed, chained and signature-checked by
a pool of forked worker processes (ledger.batch) while the parent reads the input and replays
the results in index order (ledger.replay): the trust chain, a batch's first `prev`, the tree.
So the failure reported is always the one with the lowest index, exactly what a
one-entry-at-a-time verifier would report. `verify_export` does the same for an export file,
handing its lines to the workers undecoded, so that the parent does next to nothing per entry;
other input reaches forked workers through a file they share rather than pickled (a batch's
entries written and read back in one system call each).
"""

from __future__ import annotations

import base64
import gc
import multiprocessing
import os
import re
import tempfile
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext

from ledger.batch import CheckedBatch, EntryBatch, check_batch
from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.entry import MAX_ENTRY_SIZE, parse_entry
from ledger.errors import ChainError, CheckpointError, FormatError, LedgerError
from ledger.export import ExportReader, decode_entry_lines
from ledger.keys import Verifier, b64decode, b64encode
from ledger.merkle import HASH_SIZE
from ledger.registry import KEY_REGISTERED, KeyRegistration, KeyRegistry
from ledger.replay import LogReplay, LogState, SubtreeRun

ProgressCallback = Callable[[int, int], None]
"""Called as `progress(entries_verified, checkpoint_size)` after each batch."""

BATCH_SIZE = 2_000
"""Entries per worker task: large enough to amortise the inter-process transfer."""

TAIL_BATCHES = 4
"""The last this many batches' worth of entries of a log at least 4 times as long go in batches
8 times smaller, so that the workers finish together, not one checking the last batch alone."""

PARALLEL_THRESHOLD = 2_000
"""Below this many entries a process pool costs more than it saves."""

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


@dataclass(frozen=True)
class AcceptedEntries:
    """Entries that the replay accepted, for an observer (an audit of stored copies, say)."""

    first_index: int
    leaves: bytes
    """Their RFC 6962 §2.1 leaf hashes, 32 bytes each, concatenated."""
    types: Sequence[str]
    actors: Sequence[str]
    subtrees: Sequence[SubtreeRun] = ()
    """The perfect subtrees of the RFC 6962 §2.1 tree these entries completed, level by level
    (`CompactRange.extend`): the leaves at level 0, and every subtree hash above."""
    roots: Mapping[int, bytes] = field(default_factory=dict)
    """The tree's root at each of the `roots_at` sizes these entries reached."""

    @property
    def count(self) -> int:
        """How many entries."""
        return len(self.leaves) // HASH_SIZE


Observer = Callable[[AcceptedEntries], None]
"""Called with each stretch of accepted entries, in order, before any failure after them is
raised; whatever it raises ends the verification. An audit of stored copies of the log (its
leaf hashes, subtree hashes, roots) checks them here without hashing anything twice."""


@dataclass(frozen=True)
class VerifiedLog:
    """A log that verified against `checkpoint`: its trust chain and where it ended."""

    checkpoint: Checkpoint
    registry: KeyRegistry
    state: LogState

    @property
    def size(self) -> int:
        """Number of entries, the checkpoint's size."""
        return self.checkpoint.size

    @property
    def root(self) -> bytes:
        """RFC 6962 §2.1 root hash, the checkpoint's."""
        return self.checkpoint.root_hash


def available_cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def verify_log(
    entries: Iterable[tuple[int, bytes]],
    checkpoint_note: str | bytes,
    vkey: str,
    *,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    resume: LogState | None = None,
    observer: Observer | None = None,
) -> VerifiedLog:
    """Verify `(index, entry bytes)` pairs, in order, against a checkpoint signed by `vkey`.

    Spec: DESIGN §5 (entries, trust chain, checkpoint), c2sp.org/tlog-checkpoint, RFC 6962
    §2.1. With `resume`, `entries` continue a log verified earlier (ledger.replay.LogState).
    `jobs` worker processes check signatures (default: every core; 1 runs in this process).
    `observer` sees the accepted entries' leaf hashes, types and actors (see Observer).

    Raises FormatError for a bad vkey or entry, CheckpointError or SignatureError for a
    checkpoint that is not the log key's or does not match the entries, ChainError and
    SignatureError for entries that do not continue the log; the message names the entry
    index, the check, and what was expected and found. Errors raised by `entries` itself
    are re-raised after every earlier entry has been checked.
    """
    checkpoint = open_checkpoint(checkpoint_note, Verifier.from_vkey(vkey))
    replay = _start_replay(checkpoint, resume)
    reader = _PairReader(entries, replay.size, checkpoint.size)
    _replay(reader, replay, checkpoint.size, jobs=jobs, progress=progress, observer=observer)
    return _finish(checkpoint, replay)


EntryChunk = tuple[int, Sequence[bytes]]
"""The index of an entry and the bytes of it and of the entries right after it."""


def verify_log_chunks(
    chunks: Iterable[EntryChunk],
    checkpoint_note: str | bytes,
    vkey: str,
    *,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    resume: LogState | None = None,
    observer: Observer | None = None,
    roots_at: Iterable[int] = (),
) -> VerifiedLog:
    """`verify_log` for input read in runs of consecutive entries, `(first index, entries)`.

    Checks and raises exactly what `verify_log` does for the same entries as pairs; a chunk
    that does not start where the last one ended is the first entry's `index` failure.
    `observer` is also told the tree's root at each size in `roots_at` (AcceptedEntries.roots).
    """
    checkpoint = open_checkpoint(checkpoint_note, Verifier.from_vkey(vkey))
    replay = _start_replay(checkpoint, resume)
    reader = _ChunkReader(chunks, replay.size, checkpoint.size)
    _replay(
        reader,
        replay,
        checkpoint.size,
        jobs=jobs,
        progress=progress,
        observer=observer,
        roots_at=roots_at,
    )
    return _finish(checkpoint, replay)


def verify_export(
    reader: ExportReader,
    *,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
) -> VerifiedLog:
    """Verify an export (DESIGN §5, "Export") against its own checkpoint and vkey.

    What `verify_log(reader.entries(), header.checkpoint, header.vkey)` checks, with the
    same errors, but the worker processes decode the export lines too.
    """
    checkpoint = open_checkpoint(reader.header.checkpoint, Verifier.from_vkey(reader.header.vkey))
    replay = _start_replay(checkpoint, None)
    lines = _ExportLineReader(reader, replay.size, checkpoint.size)
    _replay(lines, replay, checkpoint.size, jobs=jobs, progress=progress, observer=None)
    return _finish(checkpoint, replay)


def _start_replay(checkpoint: Checkpoint, resume: LogState | None) -> LogReplay:
    replay = (
        LogReplay(checkpoint.origin)
        if resume is None
        else LogReplay.resume(checkpoint.origin, resume)
    )
    if checkpoint.size < replay.size:
        raise CheckpointError(
            f"checkpoint size: expected at least the {replay.size} entries verified before, "
            f"found {checkpoint.size}"
        )
    return replay


def _finish(checkpoint: Checkpoint, replay: LogReplay) -> VerifiedLog:
    if replay.size != checkpoint.size:
        raise CheckpointError(
            f"checkpoint size: expected {checkpoint.size} entries, found {replay.size}"
        )
    root = replay.root()
    if root != checkpoint.root_hash:
        raise CheckpointError(
            f"checkpoint root: expected {b64encode(checkpoint.root_hash)}, "
            f"found {b64encode(root)} for {replay.size} entries"
        )
    return VerifiedLog(checkpoint, replay.registry, replay.state())


def replay_entries(
    entries: Iterable[tuple[int, bytes]],
    replay: LogReplay,
    limit: int,
    *,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    observer: Observer | None = None,
) -> None:
    """Feed entries `replay.size`, `replay.size + 1`, ... (at most up to `limit`) to `replay`.

    Uses a pool of `jobs` processes (default: every core) unless fewer than
    PARALLEL_THRESHOLD entries remain. Raises the failure with the lowest index.
    """
    reader = _PairReader(entries, replay.size, limit)
    _replay(reader, replay, limit, jobs=jobs, progress=progress, observer=observer)


def _replay(
    reader: _BatchSource,
    replay: LogReplay,
    limit: int,
    *,
    jobs: int | None,
    progress: ProgressCallback | None,
    observer: Observer | None,
    roots_at: Iterable[int] = (),
) -> None:
    jobs = available_cores() if jobs is None else jobs
    if observer is not None:
        replay.watch(roots_at)
    with _collector_paused():
        _run_batches(reader, replay, limit, jobs, progress, observer)
    if reader.error is not None:
        raise reader.error


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a log is replayed, here and in forked workers.

    The replay makes no reference cycles, but its millions of short-lived tuples and dicts
    each count towards a collection, and collections walk every object the process holds (a
    whole web application for `traceapp ledger verify`): about 1 µs an entry in all.
    Reference counting still frees everything as it goes.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _run_batches(
    reader: _BatchSource,
    replay: LogReplay,
    limit: int,
    jobs: int,
    progress: ProgressCallback | None,
    observer: Observer | None,
) -> None:
    pool, context = None, _worker_context()
    if jobs > 1 and limit - replay.size >= PARALLEL_THRESHOLD:
        try:
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=gc.disable)
        except (OSError, NotImplementedError):  # no process support here: stay in-process
            pool = None
    keys = KeyHints.from_registry(replay.registry)
    fields = observer is not None
    if pool is None:
        for task in reader.batches(keys, replay.origin, fields=fields, shared=None):
            _accept(replay, check_batch(task), task, observer)
            _report(progress, replay.size, limit)
        return
    in_flight = 2 * jobs
    # Forked workers share this process's open files: the batches go through one.
    forked = context is not None and context.get_start_method() == "fork"
    shared = _SharedBatches(in_flight + 1) if forked else None
    try:
        with pool:
            _replay_in_pool(
                pool,
                reader.batches(keys, replay.origin, fields=fields, shared=shared),
                replay,
                observer,
                in_flight,
                lambda: _report(progress, replay.size, limit),
                shared,
            )
    finally:
        if shared is not None:
            shared.close()


def _worker_context() -> BaseContext | None:
    """Fork where there is fork: a worker starts at once, with the library already loaded."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return None


def _replay_in_pool(
    pool: ProcessPoolExecutor,
    tasks: Iterable[EntryBatch],
    replay: LogReplay,
    observer: Observer | None,
    max_in_flight: int,
    report: Callable[[], None],
    shared: _SharedBatches | None,
) -> None:
    """Keep up to `max_in_flight` batches in the workers; accept results in index order."""
    in_flight: deque[tuple[EntryBatch, Future[CheckedBatch]]] = deque()
    try:
        for task in tasks:
            in_flight.append((task, pool.submit(check_batch, task)))
            if len(in_flight) >= max_in_flight:
                done, future = in_flight.popleft()
                _accept(replay, future.result(), done, observer)
                if shared is not None:
                    shared.release(done)
                report()
        while in_flight:
            done, future = in_flight.popleft()
            _accept(replay, future.result(), done, observer)
            report()
    finally:
        for _, future in in_flight:
            future.cancel()


def _accept(
    replay: LogReplay, checked: CheckedBatch, task: EntryBatch, observer: Observer | None
) -> None:
    """Accept a checked batch; show the observer what was accepted, even before a failure."""
    start = replay.size
    try:
        replay.accept_batch(checked, task)
    finally:
        accepted = replay.size - start
        if observer is not None and accepted > 0:
            assert checked.types is not None and checked.actors is not None
            subtrees, roots = replay.take_watched()
            observer(
                AcceptedEntries(
                    start,
                    checked.leaves[: accepted * HASH_SIZE],
                    checked.types[:accepted],
                    checked.actors[:accepted],
                    subtrees,
                    roots,
                )
            )


def _report(progress: ProgressCallback | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


class KeyHints:
    """The public keys that `key.registered` entries of the input register, as read so far.

    Workers check each signature under the key named here for its actor (ledger.batch). These
    keys are hints, taken from entries not verified yet: the replay accepts a worker's check
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
            return  # the replay reports it, at its index
        self._keys.setdefault(verifier.key_name, verifier.public_key)
        self._snapshot = None


def _find_all(data: bytes, part: bytes) -> Iterator[int]:
    found = data.find(part)
    while found >= 0:
        yield found
        found = data.find(part, found + 1)


class _SharedBatches:
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


class _BatchSource:
    """Batches for the workers from some input; a failure while reading is kept in `error`.

    A failure while reading (a wrong index, an entry beyond `limit`, or an error raised by
    the input) ends the batches after the entries read before it, and is kept in `error`, to
    be raised once those entries have been checked.
    """

    error: LedgerError | None = None

    def batches(
        self, keys: KeyHints, origin: str, *, fields: bool, shared: _SharedBatches | None
    ) -> Iterator[EntryBatch]:
        """The batches, each with the key hints known once it has been read; `shared`: for
        workers forked from this process, which share its open files."""
        raise NotImplementedError


def _batch(
    shared: _SharedBatches | None,
    first_index: int,
    entries: list[bytes],
    known_keys: Mapping[str, bytes],
    origin: str,
    fields: bool,
) -> EntryBatch:
    if shared is None:
        return EntryBatch(first_index, entries, known_keys, origin, fields=fields)
    return shared.batch(first_index, entries, known_keys, origin, fields)


def _wrong_index(position: int, found: int) -> ChainError:
    return ChainError(f"entry {position}: index: expected {position}, found {found}")


def _beyond_checkpoint(position: int, limit: int) -> CheckpointError:
    return CheckpointError(
        f"entry {position}: checkpoint size: expected {limit} entries, found more"
    )


def _batch_size(position: int, limit: int) -> int:
    """Entries for the batch from `position` of a log of `limit` entries (see TAIL_BATCHES)."""
    tail = TAIL_BATCHES * BATCH_SIZE
    if limit - position > tail or limit < 4 * tail:
        return BATCH_SIZE
    return max(1, BATCH_SIZE // 8)


class _PairReader(_BatchSource):
    """Groups `(index, bytes)` pairs into batches, checking indices and the size limit."""

    def __init__(self, entries: Iterable[tuple[int, bytes]], start: int, limit: int) -> None:
        self._entries = entries
        self._start = start
        self._limit = limit

    def batches(
        self, keys: KeyHints, origin: str, *, fields: bool, shared: _SharedBatches | None
    ) -> Iterator[EntryBatch]:
        position = self._start
        for batch in self._lists():
            keys.scan(batch)
            yield _batch(shared, position, batch, keys.snapshot(), origin, fields)
            position += len(batch)

    def _lists(self) -> Iterator[list[bytes]]:
        batch: list[bytes] = []
        position = self._start
        size = _batch_size(position, self._limit)
        try:
            for index, data in self._entries:
                if index != position:
                    raise _wrong_index(position, index)
                if position >= self._limit:
                    raise _beyond_checkpoint(position, self._limit)
                batch.append(data)
                position += 1
                if len(batch) == size:
                    yield batch
                    batch = []
                    size = _batch_size(position, self._limit)
        except LedgerError as exc:
            self.error = exc
        if batch:
            yield batch


class _ChunkReader(_BatchSource):
    """Cuts runs of consecutive entries into batches, checking indices and the size limit."""

    def __init__(self, chunks: Iterable[EntryChunk], start: int, limit: int) -> None:
        self._chunks = chunks
        self._start = start
        self._limit = limit

    def batches(
        self, keys: KeyHints, origin: str, *, fields: bool, shared: _SharedBatches | None
    ) -> Iterator[EntryBatch]:
        position = self._start
        try:
            for first, entries in self._chunks:
                if first != position:
                    raise _wrong_index(position, first)
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
                        raise _beyond_checkpoint(position, self._limit)
        except LedgerError as exc:
            self.error = exc


class _ExportLineReader(_BatchSource):
    """Reads an export's entry lines in batches, undecoded: the workers decode them."""

    def __init__(self, reader: ExportReader, start: int, limit: int) -> None:
        self._reader = reader
        self._start = start
        self._limit = limit

    def batches(
        self, keys: KeyHints, origin: str, *, fields: bool, shared: _SharedBatches | None
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
                return  # fewer entries than the checkpoint says: the replay reports it
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
            self.error = error or _beyond_checkpoint(position, self._limit)
