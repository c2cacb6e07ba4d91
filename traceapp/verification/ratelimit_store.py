"""Rate-limit counters every worker and host share: Redis when configured, else the database.

``TRACEAPP_RATELIMIT_STORAGE_URL`` chooses (docs/operations.md, Rate limits):

- unset: the ``rate_windows`` table of the app's database, one atomic upsert a request
  (``INSERT … ON CONFLICT DO UPDATE … RETURNING``), so the documented limit holds for the whole
  deployment with nothing more to run. Windows are aligned to the wall clock (hosts keep NTP time).
- ``redis://…`` (``rediss://``, ``redis+unix://``): the ``limits`` package's Redis storage and
  fixed windows (one ``EVALSHA`` a request). Should Redis fail, the request is counted in the
  database instead (the limit still holds, one log line), and Redis is tried again after
  ``REDIS_RETRY_S``: a broken Redis never takes pages down, nor waits a timeout per request.
- ``memory://``: this process's own counters (``RateLimiter``), for a one-process development
  server only: with N workers a client gets N times the limit.

Should the database store itself fail (or, on SQLite, wait more than ``SQLITE_WAIT_MS`` for the
write lock, e.g. behind a long import), the request is let through with a log line: the limits
protect the pages, they are not worth refusing or stalling them for.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import Engine, Executable, delete, text
from sqlalchemy.exc import SQLAlchemyError

from traceapp.db.engine import SQLITE_BUSY_TIMEOUT_MS
from traceapp.db.sessions import Database
from traceapp.scans.models import RateWindow
from traceapp.verification.ratelimit import Limit, RateLimiter

log = logging.getLogger(__name__)

REDIS_RETRY_S = 5.0
"""After a Redis error, count in the database for this long before trying Redis again."""
REDIS_TIMEOUT_S = 0.25
"""Connect and socket timeout: a Redis that does not answer costs a request at most this."""
SQLITE_WAIT_MS = 100
"""How long a request waits for SQLite's write lock to count itself (then it is let through)."""
PRUNE_EVERY = 1000
"""Each process deletes a bucket's ended windows once every this many of its hits."""


class Store(Protocol):
    def hit(self, bucket: str, client: str, limit: Limit) -> int:
        """Count a request; 0 if allowed, else the seconds until the window resets."""
        ...


# The same SQL on both engines (SQLite >= 3.35 has RETURNING), compiled once: the dialects'
# upsert constructs were compiled again on every request (~0.3 ms of a proof's ~3 ms).
_UPSERT = text(
    "INSERT INTO rate_windows (bucket, client, window_start, hits) "
    "VALUES (:bucket, :client, :start, 1) "
    "ON CONFLICT (bucket, client, window_start) DO UPDATE SET hits = rate_windows.hits + 1 "
    "RETURNING hits"
)


def _window_seconds(limit: Limit) -> int:
    return max(1, math.ceil(limit.window))


class DatabaseStore:
    """Fixed windows in ``rate_windows``; one statement a request."""

    def __init__(self, database: Database, clock: Callable[[], float] = time.time) -> None:
        self._database = database
        self._clock = clock
        # PostgreSQL: autocommit, so the upsert is the one round trip (no BEGIN, no COMMIT).
        self._autocommit: Engine | None = (
            None
            if database.is_sqlite
            else database.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._lock = threading.Lock()
        self._hits_since_prune: dict[str, int] = {}

    def hit(self, bucket: str, client: str, limit: Limit) -> int:
        window = _window_seconds(limit)
        now = self._clock()
        start = int(now // window) * window
        stmt = _UPSERT.bindparams(bucket=bucket, client=client, start=start)
        prune = self._due(bucket)
        ended = delete(RateWindow).where(
            RateWindow.bucket == bucket, RateWindow.window_start < start
        )
        try:
            if self._autocommit is not None:
                with self._autocommit.connect() as conn:
                    hits = conn.execute(stmt).scalar_one()
                    if prune:
                        conn.execute(ended)
            else:
                hits = self._sqlite_upsert(stmt, ended if prune else None)
        except SQLAlchemyError as exc:
            log.warning("rate limit not counted (database store failed, request allowed): %s", exc)
            return 0
        if hits <= limit.requests:
            return 0
        return max(1, math.ceil(start + window - now))

    def _sqlite_upsert(self, stmt: Executable, prune: Executable | None) -> int:
        """Outside the writers' queue, waiting at most ``SQLITE_WAIT_MS`` for SQLite's write lock:
        page views never queue behind a long import (past the wait the request is allowed), and
        without an fsync (a power cut may forget the last counts, never corrupt them)."""
        with self._database.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute(f"PRAGMA busy_timeout={SQLITE_WAIT_MS}")
            raw.execute("PRAGMA synchronous=NORMAL")  # outside a transaction, as SQLite requires
            try:
                conn.execution_options(sqlite_begin="IMMEDIATE")
                with conn.begin():
                    hits: int = conn.execute(stmt).scalar_one()
                    if prune is not None:
                        conn.execute(prune)
                return hits
            finally:
                try:
                    raw.execute("PRAGMA synchronous=FULL")
                    raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                except BaseException:
                    conn.invalidate()  # never back in the pool with these settings
                    raise

    def _due(self, bucket: str) -> bool:
        with self._lock:
            count = self._hits_since_prune.get(bucket, 0) + 1
            self._hits_since_prune[bucket] = 0 if count >= PRUNE_EVERY else count
            return count >= PRUNE_EVERY


class RedisStore:
    """The ``limits`` package's fixed windows in Redis, counting in ``fallback`` while Redis fails."""

    def __init__(
        self,
        url: str,
        fallback: Store,
        key_prefix: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from limits.storage import RedisStorage
        from limits.strategies import FixedWindowRateLimiter

        # Registering the scripts does not connect: an unreachable Redis fails on first use.
        self._storage = RedisStorage(
            url,
            key_prefix=key_prefix,
            socket_connect_timeout=REDIS_TIMEOUT_S,
            socket_timeout=REDIS_TIMEOUT_S,
        )
        self._limiter = FixedWindowRateLimiter(self._storage)
        self._fallback = fallback
        self._clock = clock
        self._down_until = -math.inf

    def hit(self, bucket: str, client: str, limit: Limit) -> int:
        if self._clock() < self._down_until:
            return self._fallback.hit(bucket, client, limit)
        from limits import RateLimitItemPerSecond

        item = RateLimitItemPerSecond(limit.requests, _window_seconds(limit), namespace=bucket)
        try:
            if self._limiter.hit(item, client):
                return 0
            reset = self._limiter.get_window_stats(item, client).reset_time
        except self._storage.base_exceptions as exc:
            self._down_until = self._clock() + REDIS_RETRY_S
            log.warning(
                "rate limit store: Redis failed (%s); counting in the database for %.0f s",
                exc,
                REDIS_RETRY_S,
            )
            return self._fallback.hit(bucket, client, limit)
        return max(1, math.ceil(reset - time.time()))


def make_store(storage_url: str | None, database: Database, key_prefix: str) -> Store:
    """The store ``storage_url`` names (already checked by traceapp.config)."""
    if not storage_url:
        return DatabaseStore(database)
    if storage_url.startswith("memory:"):
        return RateLimiter()
    return RedisStore(storage_url, DatabaseStore(database), key_prefix)
