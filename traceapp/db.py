"""Engine and sessions: one engine per app, one session per request, explicit write transactions.

SQLite runs in WAL mode with ``synchronous=FULL`` (an acknowledged checkpoint must survive a power
cut), foreign keys on, a busy timeout, and writers start with ``BEGIN IMMEDIATE`` so that two
writers never deadlock upgrading read locks (the SQLAlchemy pysqlite "serializable" recipe).
PostgreSQL goes through psycopg 3; the sequencer locks the log's head row itself.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from flask import Flask, current_app, g
from sqlalchemy import (
    Dialect,
    Engine,
    Executable,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeEngine

from traceapp.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A checkpoint copies each page changed since the last one back into the database, once, and
# syncs it. An append changes some 30 pages, mostly the same ones each time (the right edges of
# its tables and indexes): every 10,000 WAL pages rather than SQLite's 1,000 copies each hot page
# a tenth as often (40 MB of WAL at most between checkpoints; 60 µs less an append).
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000

# Stable constraint names so Alembic migrations are identical on both engines.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


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
    engine = create_engine(database_url, **kwargs)
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

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction, in this process's writers' queue: commit on success, roll back
        on any error, always close."""
        with self.writers.turn(), self.write_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # (parameter name, bind processor) in the driver's order; named drivers take a dict.
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    positional: bool
    row: type[tuple[Any, ...]] | None
    results: tuple[Callable[[Any], Any] | None, ...]


@dataclass(frozen=True)
class BoundConnection:
    """What the prepared statements of one transaction run on."""

    transaction: SessionTransaction
    dialect: Dialect
    driver: Any  # the DBAPI connection: sqlite3.Connection or psycopg.Connection
    error: type[Exception]  # the driver's base exception
    observed: bool  # a before_cursor_execute listener wants to see statements


_BOUND = "traceapp.db.bound"


def bound_connection(session: Session) -> BoundConnection:
    """The session's connection, looked up once per transaction: ``Session.connection()`` walks
    the session's transaction states each time, a dozen times an append."""
    transaction = session.get_transaction()
    bound: BoundConnection | None = session.info.get(_BOUND)
    if bound is not None and transaction is not None and bound.transaction is transaction:
        return bound
    connection = session.connection()  # begins the transaction if none is
    transaction = session.get_transaction()
    assert transaction is not None
    bound = BoundConnection(
        transaction,
        connection.dialect,
        connection.connection.driver_connection,
        connection.dialect.loaded_dbapi.Error,
        bool(connection.dispatch.before_cursor_execute),
    )
    session.info[_BOUND] = bound
    return bound


class Prepared:
    """A Core statement compiled once per dialect and run on the session's DBAPI connection.

    The write path runs a dozen small statements per event. Through ``Session.execute`` each
    costs some 12 µs of SQLAlchemy around a 5 µs SQLite call, a fifth of a single append. This
    keeps what matters of that layer: the same compiled SQL, the types' bind and result
    processors, and driver errors raised as SQLAlchemy's (``IntegrityError``...). Statement
    listeners (``before_cursor_execute``, as statement counters use) still see every statement:
    while one is registered, this goes through ``Session.execute``.

    Only for statements SQLAlchemy would send as they are: no expanding IN, no Python-side
    column defaults (refused when first compiled).
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def first(self, session: Session, params: dict[str, Any]) -> Any:
        """The first row (a named tuple) or None."""
        rows = self._run(session, [params], fetch=True)
        return rows[0] if rows else None

    def all(self, session: Session, params: dict[str, Any]) -> list[Any]:
        return self._run(session, [params], fetch=True)

    def execute(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        """Run a statement that returns nothing, once per parameter set.

        One set is a plain execute: on psycopg ``executemany`` is a pipeline with its own
        synchronisation, several round trips where one does.
        """
        if rows:
            self._run(session, rows, fetch=False)

    def _run(self, session: Session, rows: Sequence[dict[str, Any]], fetch: bool) -> list[Any]:
        bound = bound_connection(session)
        compiled = self._compile(bound.dialect, tuple(rows[0]))
        if bound.observed:
            result = session.execute(self.statement, rows[0] if len(rows) == 1 else list(rows))
            return _rows(compiled, [tuple(r) for r in result], processed=True) if fetch else []
        values = [_params(compiled, row) for row in rows]
        dbapi, error = bound.driver, bound.error
        try:
            if len(values) > 1:
                dbapi.cursor().executemany(compiled.sql, values)
                return []
            cursor = dbapi.execute(compiled.sql, values[0])
            return _rows(compiled, cursor.fetchall()) if fetch else []
        except error as exc:
            raise DBAPIError.instance(compiled.sql, values, exc, error) from exc

    def _compile(self, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        cached = self._compiled.get((dialect.name, keys))
        if cached is not None:
            return cached
        compiled = cast(ClauseElement, self.statement).compile(
            dialect=dialect, column_keys=list(keys)
        )
        assert isinstance(compiled, SQLCompiler)
        if "POSTCOMPILE" in compiled.string:
            raise TypeError("Prepared runs statements as compiled: no expanding parameters")
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise TypeError("Prepared does not compute Python-side column defaults")
        names = compiled.positiontup if compiled.positional else list(compiled.binds)
        binds = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names or ()
        )
        columns = getattr(self.statement, "selected_columns", None)
        row = namedtuple("Row", list(columns.keys())) if columns is not None else None  # type: ignore[misc]
        results = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns or ()
        )
        made = _Compiled(compiled.string, binds, compiled.positional, row, results)
        self._compiled[(dialect.name, keys)] = made
        return made


def read_together(
    session: Session, reads: Sequence[tuple[Prepared, dict[str, Any]]]
) -> list[list[Any]]:
    """The rows of several ``Prepared`` reads: on PostgreSQL sent together in one psycopg
    pipeline (one round trip, not one each), elsewhere one after another."""
    bound = bound_connection(session)
    if len(reads) < 2 or bound.dialect.name != "postgresql" or bound.observed:
        return [prepared.all(session, params) for prepared, params in reads]
    compiled = [(p._compile(bound.dialect, tuple(params)), params) for p, params in reads]
    driver, error = bound.driver, bound.error
    try:
        with driver.pipeline():
            cursors = [driver.execute(c.sql, _params(c, params)) for c, params in compiled]
        return [
            _rows(c, cursor.fetchall()) for (c, _), cursor in zip(compiled, cursors, strict=True)
        ]
    except error as exc:
        raise DBAPIError.instance(compiled[0][0].sql, [], exc, error) from exc


def _params(compiled: _Compiled, row: dict[str, Any]) -> Any:
    if compiled.positional:
        return tuple(row[name] if p is None else p(row[name]) for name, p in compiled.binds)
    return {name: row[name] if p is None else p(row[name]) for name, p in compiled.binds}


def _rows(compiled: _Compiled, fetched: list[Any], processed: bool = False) -> list[Any]:
    make = compiled.row
    assert make is not None, "a statement that returns rows has selected columns"
    if not processed and any(compiled.results):  # the processors take None themselves
        return [
            make(*(v if p is None else p(v) for p, v in zip(compiled.results, r, strict=True)))
            for r in fetched
        ]
    return [make(*r) for r in fetched]


class RowsInsert:
    """The rows of one table, as an INSERT to compose with others (``insert_together``).

    Elsewhere than on PostgreSQL, a plain prepared INSERT. On PostgreSQL a few rows go as VALUES
    lists; more as arrays unnested, whose SQL text is the same for any
    count (psycopg dumps arrays element by element in Python: four times the cost of the same
    values as parameters, worth it only for many rows). Parameters are named after the table
    and column. By default every column but a generated primary key; each row names exactly
    these.
    """

    MAX_VALUES_ROWS = 8

    def __init__(self, table: Table, columns: Sequence[str] | None = None) -> None:
        dialect = postgresql.dialect()
        generated = table.autoincrement_column
        self.table = table
        self.columns = tuple(columns or (c.name for c in table.columns if c is not generated))
        self._names = [f"{table.name}__{name}" for name in self.columns]
        self._arrays = ", ".join(
            f"CAST(:{param} AS {_element_type(table.c[name].type, dialect)}[])"
            for name, param in zip(self.columns, self._names, strict=True)
        )
        self._processors = {
            name: processor
            for name in self.columns
            if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        }
        self.plain = Prepared(insert(table).inline())

    def check(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows and len(rows[0]) != len(self.columns):
            raise ValueError(f"rows for {self.table.name} name {sorted(rows[0])}")

    def sql(self, count: int) -> str:
        into = f"INSERT INTO {self.table.name} ({', '.join(self.columns)})"
        if count > self.MAX_VALUES_ROWS:
            return f"{into} SELECT * FROM unnest({self._arrays})"
        rows = (f"({', '.join(f':{p}__{i}' for p in self._names)})" for i in range(count))
        return f"{into} VALUES {', '.join(rows)}"

    def params(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        self.check(rows)
        columns = {name: [row[name] for row in rows] for name in self.columns}
        for name, processor in self._processors.items():  # UtcDateTime refuses naive times
            columns[name] = [processor(value) for value in columns[name]]
        if len(rows) > self.MAX_VALUES_ROWS:
            return {p: columns[name] for name, p in zip(self.columns, self._names, strict=True)}
        return {
            f"{p}__{i}": value
            for name, p in zip(self.columns, self._names, strict=True)
            for i, value in enumerate(columns[name])
        }


_TOGETHER: dict[tuple[Any, ...], Prepared] = {}


def insert_together(
    session: Session,
    inserts: Sequence[tuple[RowsInsert, Sequence[dict[str, Any]]]],
    then: str = "",
    params: dict[str, Any] | None = None,
) -> None:
    """Several tables' INSERTs, then ``then`` (SQL with ``:named`` parameters, ``params``).

    On PostgreSQL one statement of data-modifying CTEs: one psycopg call and one round trip,
    where separate statements cost a call each even pipelined. The parts run in no set order
    there, so none may depend on another's rows, but for foreign keys, which are checked at the
    statement's end. Elsewhere one prepared statement after another, in the order given.
    """
    parts = [(part, rows) for part, rows in inserts if rows]
    if bound_connection(session).dialect.name != "postgresql":
        for part, rows in parts:
            part.check(rows)
            part.plain.execute(session, rows)
        if then:
            statement = _TOGETHER.get(((), then))
            if statement is None:
                statement = _TOGETHER[((), then)] = Prepared(text(then))
            statement.execute(session, [params or {}])
        return
    shape = (tuple((id(i), min(len(r), i.MAX_VALUES_ROWS + 1)) for i, r in parts), then)
    statement = _TOGETHER.get(shape)
    if statement is None:
        sqls = [part.sql(len(rows)) for part, rows in parts]
        main = then or sqls.pop()
        ctes = ", ".join(f"w{n} AS ({sql})" for n, sql in enumerate(sqls))
        statement = _TOGETHER[shape] = Prepared(text(f"WITH {ctes} {main}" if ctes else main))
    values = dict(params or {})
    for part, rows in parts:
        values.update(part.params(rows))
    statement.execute(session, [values])


def _element_type(column_type: TypeEngine[Any], dialect: Dialect) -> str:
    # Text arrays without a length: a cast to varchar(n) would cut a longer value silently,
    # where the column's own assignment refuses it.
    return "TEXT" if isinstance(column_type, String) else column_type.compile(dialect=dialect)


def init_app(app: Flask, settings: Settings) -> Database:
    database = Database(settings)
    app.extensions["traceapp.db"] = database
    app.teardown_appcontext(close_session)
    return database


def get_database(app: Flask | None = None) -> Database:
    database: Database = (app or current_app).extensions["traceapp.db"]
    return database


def get_session() -> Session:
    """The request's read session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = get_database().read_sessions()
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()
