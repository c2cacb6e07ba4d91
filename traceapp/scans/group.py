"""Group commit of scans: concurrent requests of one process share one write transaction.

Every item page records a scan. One transaction per scan means one commit (and on PostgreSQL
one WAL flush) per page, and every scan of a popular item waits for the previous one's lock on
its ``scan_totals`` row. Here the first request to arrive leads: it takes every scan queued so
far, runs them in one ``scan_transaction``, commits once, and hands each waiting request its
own result. Requests that arrive meanwhile queue for the next transaction, which the first of
them leads. Each request returns only after its scan is committed, and each scan's statements
run exactly as they would alone, in arrival order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from traceapp.db.sessions import Database
from traceapp.scans.services import ASYNC_COMMIT

T = TypeVar("T")
logger = logging.getLogger(__name__)

MAX_BATCH = 64
"""Scans per transaction at most: bounds the time SQLite's write lock is held."""


class _Pending(Generic[T]):
    __slots__ = ("error", "event", "lead", "order", "result", "work")

    def __init__(self, work: Callable[[Session], T], order: str) -> None:
        self.work = work
        self.order = order
        self.event = threading.Event()
        self.lead = False
        self.result: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


@contextmanager
def scan_transaction(database: Database) -> Iterator[Session]:
    """A write transaction for scans: on SQLite its commit does not wait for the disk
    (``Database.write_unsynced``).

    SQLite holds its write lock through a commit's fsync, and the workers' writers queue behind
    it: at ``synchronous=FULL`` scans could not outrun the disk's flush rate (a few hundred per
    second on a busy disk) however they are grouped. A scan is off-ledger telemetry; losing the
    last ones to a power cut is acceptable, and every ledger write keeps ``FULL``: its fsync
    also makes all earlier WAL frames durable, and the database stays consistent either way.
    On PostgreSQL the commit is asynchronous for the same reason (``synchronous_commit=off``
    for this transaction only, set by ``scans.services.record`` in its pipeline): a server crash
    may lose the last scans (a few hundred milliseconds of them), never a ledger write, and the
    database stays consistent. Group commit alone does not spare the flush: ``traceapp serve``
    runs one thread a worker, so a worker's scans never share a transaction.
    """
    with database.write_unsynced() as session:
        session.info[ASYNC_COMMIT] = True
        try:
            yield session
        finally:
            session.info.pop(ASYNC_COMMIT, None)


class GroupCommit:
    """Runs ``work(session)`` in a write transaction shared with concurrent callers."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._queue: list[_Pending[object]] = []
        self._busy = False

    def run(self, work: Callable[[Session], T], *, order: str = "") -> T:
        """``work``'s result once its transaction has committed; its error if it failed.

        ``work`` must only use the session (it may run on another request's thread), and an
        error in it fails the whole transaction, so the others' scans are retried alone.
        A transaction runs its works sorted by ``order`` (the item: rows are then locked in
        one order in every transaction, so two cannot deadlock), in arrival order otherwise.
        """
        pending: _Pending[object] = _Pending(work, order)
        with self._lock:
            self._queue.append(pending)
            lead = not self._busy
            self._busy = True
        if not lead:
            pending.event.wait()
            if not pending.lead:
                return pending.outcome()  # type: ignore[return-value]
        with self._lock:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        batch.sort(key=lambda p: p.order)  # stable: arrival order within one item
        try:
            self._commit(batch)
        finally:
            with self._lock:
                if self._queue:  # the next leader takes what queued meanwhile
                    self._queue[0].lead = True
                    self._queue[0].event.set()
                else:
                    self._busy = False
            for other in batch:
                if other is not pending:
                    other.event.set()
        return pending.outcome()  # type: ignore[return-value]

    def _commit(self, batch: list[_Pending[object]]) -> None:
        try:
            with scan_transaction(self.database) as session:
                for pending in batch:
                    pending.result = pending.work(session)
            return
        except Exception as exc:
            if len(batch) == 1:
                batch[0].result, batch[0].error = None, exc
                return
            logger.warning(
                "a transaction of %d scans failed, each retried alone: %s", len(batch), exc
            )
        except BaseException as exc:  # the worker is stopping: nobody was committed
            for pending in batch:
                pending.result, pending.error = None, exc
            raise
        # One scan's failure must not fail the others: each alone, in its own transaction.
        for pending in batch:
            pending.result, pending.error = None, None
            try:
                with scan_transaction(self.database) as session:
                    pending.result = pending.work(session)
            except Exception as exc:
                pending.result, pending.error = None, exc
