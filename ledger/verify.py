"""Verifying a whole log against its signed checkpoint, on every core (DESIGN §5).

`verify_log` opens the checkpoint with the log's vkey (c2sp.org/tlog-checkpoint), then replays
the entries in order: canonical form, `seq`, `log`, the `prev` chain, the trust chain and each
actor's Ed25519 signature, building the RFC 6962 §2.1 tree whose root the checkpoint must
match. Batches of a few thousand entries are parsed, hashed and signature-checked by a process
pool (ledger.batch) while the parent reads the input and replays the results in index order
(ledger.replay), so the failure reported is always the one with the lowest index, exactly what
a one-entry-at-a-time verifier would report.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from ledger.batch import CheckedBatch, EntryBatch, check_batch
from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.entry import parse_entry
from ledger.errors import ChainError, CheckpointError, FormatError, LedgerError
from ledger.keys import Verifier, b64encode
from ledger.registry import KEY_REGISTERED, KeyRegistration, KeyRegistry
from ledger.replay import LogReplay, LogState

ProgressCallback = Callable[[int, int], None]
"""Called as `progress(entries_verified, checkpoint_size)` after each batch."""

BATCH_SIZE = 2_000
"""Entries per worker task: large enough to amortise the inter-process transfer."""

PARALLEL_THRESHOLD = 2_000
"""Below this many entries a process pool costs more than it saves."""

# How a key.registered entry's canonical JSON spells its type (RFC 8785: no spaces).
_KEY_REGISTERED_MARK = b'"type":"' + KEY_REGISTERED.encode() + b'"'


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
) -> VerifiedLog:
    """Verify `(index, entry bytes)` pairs, in order, against a checkpoint signed by `vkey`.

    Spec: DESIGN §5 (entries, trust chain, checkpoint), c2sp.org/tlog-checkpoint, RFC 6962
    §2.1. With `resume`, `entries` continue a log verified earlier (ledger.replay.LogState).
    `jobs` worker processes check signatures (default: every core; 1 runs in this process).

    Raises FormatError for a bad vkey or entry, CheckpointError or SignatureError for a
    checkpoint that is not the log key's or does not match the entries, ChainError and
    SignatureError for entries that do not continue the log; the message names the entry
    index, the check, and what was expected and found. Errors raised by `entries` itself
    are re-raised after every earlier entry has been checked.
    """
    checkpoint = open_checkpoint(checkpoint_note, Verifier.from_vkey(vkey))
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
    replay_entries(entries, replay, checkpoint.size, jobs=jobs, progress=progress)
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
) -> None:
    """Feed entries `replay.size`, `replay.size + 1`, ... (at most up to `limit`) to `replay`.

    Uses a pool of `jobs` processes (default: every core) unless fewer than
    PARALLEL_THRESHOLD entries remain. Raises the failure with the lowest index.
    """
    reader = _BatchReader(entries, replay.size, limit)
    jobs = available_cores() if jobs is None else jobs
    if jobs > 1 and limit - replay.size >= PARALLEL_THRESHOLD:
        try:
            pool = ProcessPoolExecutor(max_workers=jobs)
        except (OSError, NotImplementedError):  # no process support here: stay in-process
            pool = None
    else:
        pool = None
    keys = KeyHints.from_registry(replay.registry)
    if pool is None:
        for batch in reader:
            keys.scan(batch)
            replay.accept_batch(check_batch(EntryBatch(replay.size, batch, keys.snapshot())))
            _report(progress, replay.size, limit)
    else:
        with pool:
            _replay_in_pool(
                pool, reader, replay, keys, 2 * jobs, lambda: _report(progress, replay.size, limit)
            )
    if reader.error is not None:
        raise reader.error


def _replay_in_pool(
    pool: ProcessPoolExecutor,
    batches: Iterable[list[bytes]],
    replay: LogReplay,
    keys: KeyHints,
    max_in_flight: int,
    report: Callable[[], None],
) -> None:
    """Keep up to `max_in_flight` batches in the workers; accept results in index order."""
    in_flight: deque[Future[CheckedBatch]] = deque()
    next_index = replay.size
    try:
        for batch in batches:
            keys.scan(batch)
            task = EntryBatch(next_index, batch, keys.snapshot())
            in_flight.append(pool.submit(check_batch, task))
            next_index += len(batch)
            if len(in_flight) >= max_in_flight:
                replay.accept_batch(in_flight.popleft().result())
                report()
        while in_flight:
            replay.accept_batch(in_flight.popleft().result())
            report()
    finally:
        for future in in_flight:
            future.cancel()


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

    def scan(self, batch: list[bytes]) -> None:
        """Note the keys registered in `batch`; other entries cost one substring search."""
        for data in batch:
            if _KEY_REGISTERED_MARK in data:
                self._note(data)

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


class _BatchReader:
    """Groups `(index, bytes)` pairs into batches, checking indices and the size limit.

    A failure while reading (a wrong index, an entry beyond `limit`, or an error raised by
    the input) ends the iteration after the entries read before it were yielded, and is
    kept in `error`, to be raised once those entries have been checked.
    """

    def __init__(self, entries: Iterable[tuple[int, bytes]], start: int, limit: int) -> None:
        self._entries = entries
        self._start = start
        self._limit = limit
        self.error: LedgerError | None = None

    def __iter__(self) -> Iterator[list[bytes]]:
        batch: list[bytes] = []
        position = self._start
        try:
            for index, data in self._entries:
                if index != position:
                    raise ChainError(f"entry {position}: index: expected {position}, found {index}")
                if position >= self._limit:
                    raise CheckpointError(
                        f"entry {position}: checkpoint size: expected {self._limit} entries, "
                        "found more"
                    )
                batch.append(data)
                position += 1
                if len(batch) == BATCH_SIZE:
                    yield batch
                    batch = []
        except LedgerError as exc:
            self.error = exc
        if batch:
            yield batch
