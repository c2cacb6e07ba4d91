"""The app's sessions (the flaskr shape): a ``Database`` with its session factories, attached
to the app by ``init_app``; one read session per request (``get_session``), closed at teardown."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from traceapp.config import Settings
from traceapp.db.engine import WriterQueue, make_engine


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
        snapshot, which keeps the WAL from being checkpointed. PostgreSQL reads are autocommit:
        nothing to end, and the connection is kept."""
        if self.is_sqlite:
            session.commit()

    def dispose(self) -> None:
        self.engine.dispose()


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
