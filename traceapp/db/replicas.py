"""Read replicas (issue 19): PostgreSQL standbys that serve the reads of pages and queries.

A request allowed to read from a replica (``sessions.allow_replica_reads``) gets a session on
the first usable one, in one REPEATABLE READ transaction: the checkpoint a page proves against
and the rows it shows come from one snapshot of one server. That transaction's first statement
reads the log's head size and the replica's replay lag; the replica serves the request only when
its lag is within ``TRACEAPP_DATABASE_REPLICA_MAX_LAG`` and its head is at least the size the
client last wrote at (read-your-writes), else the next replica does, else the primary. A replica
that cannot be reached is skipped for ``BREAKER_SECONDS`` (a circuit breaker), one past the lag
bound for ``LAG_RECHECK_SECONDS``; each worker process keeps its own view of them.

Lag: none while the replica's log has the size the primary's had when last looked at (at most
every ``PRIMARY_CHECK_SECONDS``); behind it, the age of the last transaction it replayed. Not
that age alone: WAL that commits nothing (a checkpoint, another database's CREATE DATABASE)
arrives without moving it, so a current replica of an idle log would look late.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from traceapp.db.engine import make_engine

BREAKER_SECONDS = 5.0
LAG_RECHECK_SECONDS = 0.25
PRIMARY_CHECK_SECONDS = 0.5
# A replica that does not answer is skipped; the primary must not wait long for it.
CONNECT_TIMEOUT_S = 2

WRITTEN_SIZE = "traceapp.written_size"
"""``Session.info`` key: the log's size after the appends of a write transaction (set by the
sequencer), the size a client's next reads must see."""
REPLICA = "traceapp.replica"
"""``Session.info`` key: the name of the replica a read session is on (absent: the primary)."""

# The sequencer's head row: the one fact about the log this floor needs (how far a server has).
_HEAD = "SELECT size FROM ledger_heads WHERE log = :log"
# The head, and the age of the last transaction replayed; none replayed since the server
# started: as late as can be (it only matters while its log is behind the primary's).
_PROBE = text(
    f"SELECT ({_HEAD}), coalesce(extract(epoch FROM clock_timestamp() - "
    "pg_last_xact_replay_timestamp()), 1e9)"
)


def replica_name(url: str) -> str:
    """host:port/database: what /readyz shows of a replica (never its password)."""
    parsed = make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


@dataclass(frozen=True)
class ReplicaState:
    name: str
    state: str  # "ok", "lagging" (past the bound) or "down" (unreachable)
    lag_seconds: float | None
    size: int | None
    checked_at: datetime | None
    last_error: str | None
    failures: int


class Replica:
    """One standby: its engine, its snapshot sessions and what was last seen of it."""

    def __init__(self, url: str, *, origin: str, max_lag: float) -> None:
        self.name = replica_name(url)
        self.origin = origin
        self.max_lag = max_lag
        self.engine: Engine = make_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
        snapshot = self.engine.execution_options(isolation_level="REPEATABLE READ")
        self._sessions = sessionmaker(snapshot, expire_on_commit=False)
        self._lock = threading.Lock()
        self._skip_until = 0.0
        self._down = False
        self._lag: float | None = None
        self._size: int | None = None
        self._checked_at: datetime | None = None
        self._last_error: str | None = None
        self._failures = 0

    def open(self, min_size: int, primary_size: int) -> Session | None:
        """A snapshot session whose head is at least ``min_size``, or None: skipped, down,
        lagging or behind."""
        if time.monotonic() < self._skip_until:
            return None
        session, size = self.probe(primary_size)
        if session is None:
            return None
        if size is None or size < min_size:
            session.close()
            return None
        session.info[REPLICA] = self.name
        return session

    def probe(self, primary_size: int) -> tuple[Session | None, int | None]:
        """Begin a snapshot and read its head size and lag; the session when usable."""
        session = self._sessions()
        try:
            size, replayed_age = session.execute(_PROBE, {"log": self.origin}).one()
            lag = 0.0 if size is not None and size >= primary_size else float(replayed_age)
        except DBAPIError as exc:
            session.close()
            self.failed(exc)  # its other pooled connections went with the server
            return None, None
        with self._lock:
            self._down = False
            self._lag, self._size = lag, size
            self._checked_at = datetime.now(UTC)
            if lag > self.max_lag:
                self._skip_until = time.monotonic() + LAG_RECHECK_SECONDS
        if lag > self.max_lag:
            session.close()
            return None, size
        return session, size

    def failed(self, exc: DBAPIError) -> None:
        """It stopped answering: skipped for BREAKER_SECONDS (its pool is dropped)."""
        self.engine.dispose()
        self._failed(exc)

    def _failed(self, exc: DBAPIError) -> None:
        with self._lock:
            self._down = True
            self._failures += 1
            self._last_error = str(exc.orig or exc).strip().splitlines()[0][:200]
            self._checked_at = datetime.now(UTC)
            self._skip_until = time.monotonic() + BREAKER_SECONDS

    def state(self, primary_size: int | None) -> ReplicaState:
        """What is known of the replica; probed now (given the primary's size) unless its
        breaker is open."""
        if primary_size is not None and (not self._down or time.monotonic() >= self._skip_until):
            session, _ = self.probe(primary_size)
            if session is not None:
                session.close()
        with self._lock:
            if self._down:
                state = "down"
            elif self._lag is not None and self._lag > self.max_lag:
                state = "lagging"
            else:
                state = "ok"
            return ReplicaState(
                self.name,
                state,
                self._lag,
                self._size,
                self._checked_at,
                self._last_error,
                self._failures,
            )


class Replicas:
    """The configured replicas, tried in their configured order, and the primary's head size
    they are compared with."""

    def __init__(
        self, urls: tuple[str, ...], *, primary: Engine, origin: str, max_lag: float
    ) -> None:
        self.all = [Replica(url, origin=origin, max_lag=max_lag) for url in urls]
        self._primary = primary
        self._origin = origin
        self._primary_size = 0
        self._primary_checked = -PRIMARY_CHECK_SECONDS
        self._checking = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self.all)

    def primary_size(self, at_least: int = 0) -> int:
        """The primary's head size, read again when older than PRIMARY_CHECK_SECONDS (by one
        request at a time: the others take the last one read), or when below ``at_least``
        (then waiting for its turn: the size read is then as fresh as the request)."""
        now = time.monotonic()
        if self._primary_size < at_least:
            with self._checking:
                self._read_primary(now)
        elif now - self._primary_checked >= PRIMARY_CHECK_SECONDS and self._checking.acquire(
            blocking=False
        ):
            try:
                self._read_primary(now)
            finally:
                self._checking.release()
        return self._primary_size

    def _read_primary(self, now: float) -> None:
        with self._primary.connect() as conn:
            size = conn.execute(text(_HEAD), {"log": self._origin}).scalar()
            conn.rollback()
        self._primary_size, self._primary_checked = int(size or 0), now

    def open(self, min_size: int) -> Session | None:
        """A session on the first usable replica whose log has ``min_size`` entries, or
        None. A size beyond the primary's (a forged header) asks for no more than all of it:
        no client can make every read of its own go to the primary."""
        primary_size = self.primary_size(at_least=min_size)
        min_size = min(min_size, primary_size)
        for replica in self.all:
            session = replica.open(min_size, primary_size)
            if session is not None:
                return session
        return None

    def failed(self, name: str, exc: DBAPIError) -> None:
        for replica in self.all:
            if replica.name == name:
                replica.failed(exc)

    def states(self, *, check: bool = True) -> list[ReplicaState]:
        primary_size = self.primary_size() if check else None
        return [replica.state(primary_size) for replica in self.all]

    def dispose(self) -> None:
        for replica in self.all:
            replica.engine.dispose()
