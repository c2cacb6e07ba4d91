"""The app's sessions (the flaskr shape): a ``Database`` with its session factories, attached
to the app by ``init_app``; one read session per request (``get_session``), closed at teardown.

With read replicas (``traceapp.db.replicas``), a request that called ``allow_replica_reads``
before its first read reads from a replica when one is usable: pages and queries, never a write
(writes, and every read inside a write transaction, use the write session on the primary).
After a write that appended to the log, the response carries the size it wrote at (cookie and
header); the client's next reads come from a replica only once its head has that size.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from traceapp.config import Settings
from traceapp.db.engine import WriterQueue, make_engine
from traceapp.db.replicas import REPLICA, WRITTEN_SIZE, Replicas

WRITTEN_COOKIE = "traceapp_written"
WRITTEN_HEADER = "Traceapp-Written-Size"
READ_FROM_HEADER = "Traceapp-Read-From"
# Read-your-writes: for this long after a write, a client's reads need a replica whose head has
# the size it wrote at. Once the replica has it, reads go there again; it is only a bound.
STICKY_SECONDS = 60
_MAX_SIZE = 2**62


class Database:
    """The app's engine and session factories."""

    def __init__(self, settings: Settings) -> None:
        database: str | None = None
        if settings.is_sqlite:
            database = settings.database_url.split("///", 1)[-1]
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            else:
                database = None
        self.writers = WriterQueue(database)
        self.engine = make_engine(settings.database_url)
        self.is_sqlite = settings.is_sqlite
        # PostgreSQL reads run in autocommit: at READ COMMITTED every statement takes its own
        # snapshot anyway, so a read transaction only cost a BEGIN and a ROLLBACK, and psycopg
        # drops every prepared statement of the connection on a ROLLBACK. SQLite keeps its
        # read transactions: they hold one WAL snapshot for the whole request.
        read_engine = (
            self.engine
            if settings.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self.read_sessions = sessionmaker(read_engine, expire_on_commit=False)
        # One snapshot for a long multi-statement read (verify, export): REPEATABLE READ on
        # PostgreSQL; a SQLite read transaction is one already.
        snapshot_engine = (
            self.engine
            if settings.is_sqlite
            else self.engine.execution_options(isolation_level="REPEATABLE READ")
        )
        self.snapshot_sessions = sessionmaker(snapshot_engine, expire_on_commit=False)
        write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self.write_sessions = sessionmaker(write_engine, expire_on_commit=False)
        self.replicas = Replicas(
            () if settings.is_sqlite else settings.replica_urls,
            primary=read_engine,
            origin=settings.log_origin,
            max_lag=settings.replica_max_lag,
        )

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction, in this process's writers' queue: commit on success, roll back
        on any error, always close."""
        with self.writers.turn(), self.write_sessions() as session:
            with session.begin():
                yield session
            written = session.info.get(WRITTEN_SIZE)
        if written is not None and self.replicas and has_request_context():
            route = _route()
            route.written = max(route.written or 0, int(written))

    @contextmanager
    def write_unsynced(self) -> Iterator[Session]:
        """``write()``, except that on SQLite the commit does not wait for the disk
        (``synchronous=NORMAL`` for this transaction only): for data whose last transactions may
        be lost to a power cut (never to a crash of the process: the WAL is written before the
        commit returns). Its fsync-free commit also releases SQLite's write lock sooner. The
        connection is set back to ``FULL`` before it returns to the pool, or dropped, so every
        other write keeps ``FULL``. PostgreSQL keeps its durable commit.
        """
        if not self.is_sqlite:
            with self.write() as session:
                yield session
            return
        with self.writers.turn(), self.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA synchronous=NORMAL")  # outside a transaction, as SQLite requires
            try:
                conn.execution_options(sqlite_begin="IMMEDIATE")
                with Session(conn, expire_on_commit=False) as session, session.begin():
                    yield session
            finally:
                try:
                    raw.execute("PRAGMA synchronous=FULL")
                except BaseException:
                    conn.invalidate()  # never back in the pool at NORMAL
                    raise

    def end_read(self, session: Session) -> None:
        """End a read session's transaction before a long wait: on SQLite it holds a WAL
        snapshot, which keeps the WAL from being checkpointed; so does a replica's snapshot
        hold back its replay. PostgreSQL reads on the primary are autocommit: nothing to end,
        and the connection is kept."""
        if self.is_sqlite or REPLICA in session.info:
            session.commit()

    def dispose(self) -> None:
        self.engine.dispose()
        self.replicas.dispose()


def init_app(app: Flask, settings: Settings) -> Database:
    database = Database(settings)
    app.extensions["traceapp.db"] = database
    app.teardown_appcontext(close_session)
    if database.replicas:
        secure = settings.public_url.startswith("https://")

        def mark_written(response: Response) -> Response:
            if "db_session" in g:  # where this request read from (no host names)
                on_replica = REPLICA in g.db_session.info
                response.headers[READ_FROM_HEADER] = "replica" if on_replica else "primary"
            size = _route().written
            if size is not None:
                response.headers[WRITTEN_HEADER] = str(size)
                response.set_cookie(
                    WRITTEN_COOKIE,
                    str(size),
                    max_age=STICKY_SECONDS,
                    secure=secure,
                    httponly=True,
                    samesite="Lax",
                )
            return response

        app.after_request(mark_written)
    return database


def get_database(app: Flask | None = None) -> Database:
    database: Database = (app or current_app).extensions["traceapp.db"]
    return database


@dataclass
class _Route:
    """Where this request's reads may go (``g.db_route``)."""

    replica_reads: bool = False
    needs: int = 0
    written: int | None = None


def _route() -> _Route:
    if "db_route" not in g:
        g.db_route = _Route()
    route: _Route = g.db_route
    return route


def allow_replica_reads(*, needs: int = 0) -> None:
    """This request only reads (a page, a GraphQL query): its read session may be on a replica
    whose log has at least ``needs`` entries (the size of a checkpoint, proof or tile asked
    for). Call it before the request's first read."""
    route = _route()
    route.replica_reads = True
    route.needs = max(route.needs, needs)


def replica_reads_if_safe() -> None:
    """A blueprint's ``before_request``: its GET and HEAD requests may read from a replica."""
    if request.method in ("GET", "HEAD"):
        allow_replica_reads()


def _replica_min_size(route: _Route) -> int:
    """The size a replica's log must have for this request: what it asks for, and what the
    client last wrote at (its cookie or header, or this request's own write)."""
    sizes = [route.needs, route.written or 0]
    for raw in (request.cookies.get(WRITTEN_COOKIE), request.headers.get(WRITTEN_HEADER)):
        if raw and raw.isascii() and raw.isdigit() and len(raw) < 19:
            sizes.append(min(int(raw), _MAX_SIZE))
    return max(sizes)


def _open_read_session() -> Session:
    database = get_database()
    route = _route() if database.replicas and has_request_context() else None
    if route is not None and route.replica_reads:
        session = database.replicas.open(_replica_min_size(route))
        if session is not None:
            return session
    return database.read_sessions()


def get_session() -> Session:
    """The request's read session, opened on first use and closed at teardown: on a replica
    when the request allows it and one is usable, else on the primary."""
    if "db_session" not in g:
        g.db_session = _open_read_session()
    session: Session = g.db_session
    return session


def close_session(exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return
    replica = session.info.get(REPLICA)
    if replica is not None and exc is None:
        # Its snapshot ends with a COMMIT: psycopg drops the connection's prepared statements
        # on a ROLLBACK (the pool's reset), and a replica's connections would prepare anew.
        try:
            session.commit()
        except DBAPIError as failed:
            exc = failed
    session.close()
    if replica is not None and isinstance(exc, DBAPIError) and exc.connection_invalidated:
        # The replica went during the request (which failed): the next ones skip it.
        get_database().replicas.failed(replica, exc)
