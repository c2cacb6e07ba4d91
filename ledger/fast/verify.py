"""Verifying a whole log on every core: `ledger.verify`'s verdict, sooner (DESIGN §5).

`verify_log`, `verify_log_chunks` and `verify_export` return what `ledger.verify.verify_log`
returns for the same entries and raise what it raises, the same error with the same message:
tests/ledger/test_fast_matches_reference.py holds them to that on valid and broken logs.
Batches of a few thousand entries are parsed, hashed, chained and signature-checked by a pool
of forked worker processes (ledger.fast.batch) while the parent reads the input
(ledger.fast.readers) and accepts the results in index order on the reference verifier's
state (ledger.fast.acceptor): the trust chain, a batch's first `prev`, the tree. So the
failure reported is always the one with the lowest index. `verify_export` hands the export's
lines to the workers undecoded, so that the parent does next to nothing per entry.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.context import BaseContext

from ledger.checkpoint import open_checkpoint
from ledger.export import ExportReader
from ledger.fast.acceptor import BatchAcceptor
from ledger.fast.batch import CheckedBatch, EntryBatch, check_batch
from ledger.fast.key_hints import KeyHints
from ledger.fast.readers import (
    BatchSource,
    ChunkReader,
    EntryChunk,
    ExportLineReader,
    SharedBatches,
    chunks_of_pairs,
)
from ledger.keys import Verifier
from ledger.merkle import HASH_SIZE
from ledger.verify import (
    AcceptedEntries,
    LogState,
    LogVerifier,
    Observer,
    ProgressCallback,
    VerifiedLog,
)

PARALLEL_THRESHOLD = 2_000
"""Below this many entries a process pool costs more than it saves."""


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
    """`ledger.verify.verify_log`, with `jobs` worker processes (default: every core; 1 runs
    in this process). `observer` is told about accepted entries a stretch at a time."""
    checkpoint = open_checkpoint(checkpoint_note, Verifier.from_vkey(vkey))
    log = LogVerifier.start(checkpoint, resume)
    reader = ChunkReader(chunks_of_pairs(entries, log.size), log.size, checkpoint.size)
    _verify(reader, log, checkpoint.size, jobs=jobs, progress=progress, observer=observer)
    return log.finish(checkpoint)


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

    A chunk that does not start where the last one ended is the first entry's `index` failure.
    `observer` is also told the tree's root at each size in `roots_at` (AcceptedEntries.roots).
    """
    checkpoint = open_checkpoint(checkpoint_note, Verifier.from_vkey(vkey))
    log = LogVerifier.start(checkpoint, resume)
    reader = ChunkReader(chunks, log.size, checkpoint.size)
    _verify(
        reader,
        log,
        checkpoint.size,
        jobs=jobs,
        progress=progress,
        observer=observer,
        roots_at=roots_at,
    )
    return log.finish(checkpoint)


def verify_export(
    reader: ExportReader,
    *,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
) -> VerifiedLog:
    """Verify an export (DESIGN §5, "Export") against its own checkpoint and vkey.

    What `ledger.verify.verify_log(reader.entries(), header.checkpoint, header.vkey)` checks,
    with the same errors, but the worker processes decode the export lines too.
    """
    checkpoint = open_checkpoint(reader.header.checkpoint, Verifier.from_vkey(reader.header.vkey))
    log = LogVerifier.start(checkpoint, None)
    lines = ExportLineReader(reader, log.size, checkpoint.size)
    _verify(lines, log, checkpoint.size, jobs=jobs, progress=progress, observer=None)
    return log.finish(checkpoint)


def _verify(
    reader: BatchSource,
    log: LogVerifier,
    limit: int,
    *,
    jobs: int | None,
    progress: ProgressCallback | None,
    observer: Observer | None,
    roots_at: Iterable[int] = (),
) -> None:
    jobs = available_cores() if jobs is None else jobs
    acceptor = BatchAcceptor(log)
    if observer is not None:
        acceptor.watch(roots_at)
    with _collector_paused():
        _run_batches(reader, acceptor, limit, jobs, progress, observer)
    if reader.error is not None:
        raise reader.error


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a log is verified, here and in forked workers.

    The verification makes no reference cycles, but its millions of short-lived tuples and dicts
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
    reader: BatchSource,
    acceptor: BatchAcceptor,
    limit: int,
    jobs: int,
    progress: ProgressCallback | None,
    observer: Observer | None,
) -> None:
    pool, context = None, _worker_context()
    if jobs > 1 and limit - acceptor.log.size >= PARALLEL_THRESHOLD:
        try:
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=gc.disable)
        except (OSError, NotImplementedError):  # no process support here: stay in-process
            pool = None
    keys = KeyHints.from_registry(acceptor.log.registry)
    fields = observer is not None
    if pool is None:
        for task in reader.batches(keys, acceptor.log.origin, fields=fields, shared=None):
            _accept(acceptor, check_batch(task), task, observer)
            _report(progress, acceptor.log.size, limit)
        return
    in_flight = 2 * jobs
    # Forked workers share this process's open files: the batches go through one.
    forked = context is not None and context.get_start_method() == "fork"
    shared = SharedBatches(in_flight + 1) if forked else None
    try:
        with pool:
            _verify_in_pool(
                pool,
                reader.batches(keys, acceptor.log.origin, fields=fields, shared=shared),
                acceptor,
                observer,
                in_flight,
                lambda: _report(progress, acceptor.log.size, limit),
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


def _verify_in_pool(
    pool: ProcessPoolExecutor,
    tasks: Iterable[EntryBatch],
    acceptor: BatchAcceptor,
    observer: Observer | None,
    max_in_flight: int,
    report: Callable[[], None],
    shared: SharedBatches | None,
) -> None:
    """Keep up to `max_in_flight` batches in the workers; accept results in index order."""
    in_flight: deque[tuple[EntryBatch, Future[CheckedBatch]]] = deque()
    try:
        for task in tasks:
            in_flight.append((task, pool.submit(check_batch, task)))
            if len(in_flight) >= max_in_flight:
                done, future = in_flight.popleft()
                _accept(acceptor, future.result(), done, observer)
                if shared is not None:
                    shared.release(done)
                report()
        while in_flight:
            done, future = in_flight.popleft()
            _accept(acceptor, future.result(), done, observer)
            report()
    finally:
        for _, future in in_flight:
            future.cancel()


def _accept(
    acceptor: BatchAcceptor, checked: CheckedBatch, task: EntryBatch, observer: Observer | None
) -> None:
    """Accept a checked batch; show the observer what was accepted, even before a failure."""
    start = acceptor.log.size
    try:
        acceptor.accept_batch(checked, task)
    finally:
        accepted = acceptor.log.size - start
        if observer is not None and accepted > 0:
            assert checked.types is not None and checked.actors is not None
            subtrees, roots = acceptor.take_watched()
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
