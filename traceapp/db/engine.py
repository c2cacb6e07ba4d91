"""The engine: one per app, SQLite pragmas, an idle ping on PostgreSQL, and the writers' queue.

SQLite runs in WAL mode with ``synchronous=FULL`` (an acknowledged checkpoint must survive a power
cut), foreign keys on, a busy timeout, and writers start with ``BEGIN IMMEDIATE`` so that two
writers never deadlock upgrading read locks (the SQLAlchemy pysqlite "serializable" recipe).
PostgreSQL goes through psycopg 3, with JIT compilation off; the sequencer locks the log's head
row itself.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A checkpoint copies each page changed since the last one back into the database, once, and
# syncs it. An append changes some 30 pages, mostly the same ones each time (the right edges of
# its tables and indexes): every 10,000 WAL pages rather than SQLite's 1,000 copies each hot page
# a tenth as often (40 MB of WAL at most between checkpoints; 60 µs less an append).
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000
# A log of 10^6 entries is a 2.5 GB file whose indexes on random keys (eventIDs, public IDs, EPCs)
# take every insert to a page of its own: with SQLite's 2 MB page cache each is a read() from the
# OS cache. Reads through a memory map instead (shared by the connections, bounded by the file)
# and a larger cache of the connection's own (allocated as used) keep appends flat as it grows.
SQLITE_MMAP_BYTES = 2**31 - 2**16  # SQLite's default build caps the map at 0x7fff0000
SQLITE_CACHE_KIB = 32 * 1024


def _install_sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN so we choose its kind.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        # On the driver: SQLAlchemy's execution path costs more than the statement itself.
        statement = f"BEGIN {mode}"
        try:
            conn.connection.driver_connection.execute(statement)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(statement, (), exc, sqlite3.Error) from exc


def make_engine(
    database_url: str, *, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, **kwargs: Any
) -> Engine:
    """Create an engine with the project's per-backend settings."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, **kwargs)
        _install_sqlite_pragmas(engine, sqlite_busy_timeout_ms)
        return engine
    # JIT off: compiling a query costs tens to hundreds of ms, paid whenever stale statistics
    # push an estimate past jit_above_cost; the app's short reads never win it back.
    connect_args = dict(kwargs.pop("connect_args", {}))
    options = connect_args.get("options", "")
    connect_args["options"] = f"{options} -c jit=off".strip()
    engine = create_engine(database_url, connect_args=connect_args, **kwargs)
    _ping_idle_connections(engine)
    return engine


# A pooled connection idle for longer than this is pinged before use (HikariCP's
# aliveBypassWindowMs). SQLAlchemy's pool_pre_ping pings on every checkout: a round trip per
# request, a tenth of a single append on PostgreSQL. A connection back in the pool for less than
# this was just working; should the server have gone in between, that request fails and the
# pool is refreshed, as when a server goes mid-request.
IDLE_PING_AFTER_S = 0.5


def _ping_idle_connections(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < IDLE_PING_AFTER_S:
            return  # new, or just used
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_conn, None):
                # The pool replaces the connection and tries again.
                raise DisconnectionError(str(exc)) from exc
            raise


class WriterQueue:
    """Writers wait their turn on OS locks: one write transaction per process at a time.

    SQLite: rather than in SQLite's busy handler, which polls with sleeps of up to 100 ms, so a
    writer that loses the race for the write lock waits far longer than the transaction it
    waits for (a p99 of 250 ms for 2 ms writes). A thread lock orders this process's writers and
    an exclusive ``flock`` on a file beside the database orders processes; each wakes the next
    writer as soon as it is released. Programs that do not take it still meet ``busy_timeout``.

    PostgreSQL (thread lock only; the log's head row orders processes): every append takes that
    row lock, so concurrent writers of one process only queue for it, and while they wait in
    the database the GIL goes to the others' Python, which the holder then waits for after each
    round trip. Queued here instead, they hold neither: a p99 of 150 ms fell to 66 ms with 8
    clients on 2 workers.
    """

    def __init__(self, database_path: str | None) -> None:
        self._lock_path = f"{database_path}.writer-lock" if database_path else None
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int | None:
        if self._lock_path is None:
            return None
        if self._pid != os.getpid():  # a descriptor inherited across fork shares its lock
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._thread_lock:
            fd = self._file() if self._depth == 0 else None
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
