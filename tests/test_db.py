"""Engine settings: SQLite durability pragmas, IMMEDIATE writers queued, append-only ledger tables."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import (
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

from traceapp.config import Settings, load_settings
from traceapp.db import engine as db_engine
from traceapp.db.engine import make_engine
from traceapp.db.sessions import Database, get_database
from traceapp.db.statements import Prepared, RowsInsert, insert_together, read_together
from traceapp.ledger_store.models import APPEND_ONLY_TABLES
from traceapp.types import UtcDateTime


def test_sqlite_pragmas(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/p.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000
    engine.dispose()


def test_sqlite_writers_begin_immediate(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/w.db", sqlite_busy_timeout_ms=0)
    writer = engine.execution_options(sqlite_begin="IMMEDIATE")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    with writer.connect() as first, first.begin():
        # The first writer holds the write lock from BEGIN on, before it writes anything.
        with (
            writer.connect() as second,
            pytest.raises(DBAPIError, match="locked"),
            second.begin(),
        ):
            pass
        # Readers are never blocked by a writer in WAL mode.
        with engine.connect() as reader:
            assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
    engine.dispose()


def test_write_transaction_commits_or_rolls_back(app: Flask) -> None:
    database = get_database(app)
    with database.write() as session:
        session.execute(text("CREATE TABLE scratch (x INTEGER)"))
    with pytest.raises(RuntimeError), database.write() as session:
        session.execute(text("INSERT INTO scratch VALUES (1)"))
        raise RuntimeError("boom")
    with database.write() as session:
        assert session.execute(text("SELECT count(*) FROM scratch")).scalar() == 0


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
@pytest.mark.parametrize("statement", ["UPDATE {t} SET log = 'x'", "DELETE FROM {t}"])
def test_ledger_tables_refuse_update_and_delete(app: Flask, table: str, statement: str) -> None:
    engine = get_database(app).engine
    values = {
        "ledger_entries": "('l', 0, x'00', x'00', 't', 'a')",
        "ledger_hashes": "('l', 0, 0, x'00')",
        "ledger_checkpoints": "('l', 1, x'00', 'n')",
    }[table]
    if engine.dialect.name == "postgresql":
        values = values.replace("x'00'", "'\\x00'::bytea")
    count = text(f"SELECT count(*) FROM {table}")
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} VALUES {values}"))
        before = conn.execute(count).scalar()
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement.format(t=table)))
    with engine.connect() as conn:
        assert conn.execute(count).scalar() == before


def _write_rows(settings: Settings, process: int, rows: int) -> None:
    """A worker process: two threads, each committing ``rows`` one-row write transactions."""
    database = Database(settings)

    @event.listens_for(database.engine, "connect")
    def no_busy_wait(dbapi_conn: Any, _record: Any) -> None:
        # Without the writer queue, the second writer to BEGIN IMMEDIATE fails at once.
        dbapi_conn.execute("PRAGMA busy_timeout=0")

    def write(thread: int) -> None:
        for n in range(rows):
            with database.write() as session:
                session.execute(
                    text("INSERT INTO queued VALUES (:p, :t, :n)"),
                    {"p": process, "t": thread, "n": n},
                )

    threads = [threading.Thread(target=write, args=(t,)) for t in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    database.dispose()


def test_sqlite_writers_queue_across_threads_and_processes(tmp_path: Path) -> None:
    settings = load_settings({}, {"DATABASE_URL": f"sqlite:///{tmp_path}/q.db"}, tmp_path)
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE queued (p INTEGER, t INTEGER, n INTEGER)")
    fork = multiprocessing.get_context("fork")
    workers = [fork.Process(target=_write_rows, args=(settings, p, 100)) for p in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    # A writer that met "database is locked" would have died with a traceback.
    assert [w.exitcode for w in workers] == [0, 0]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM queued").scalar() == 400
    engine.dispose()


def test_snapshot_sessions_see_one_snapshot(app: Flask) -> None:
    """A long read (``ledger verify``, export) must not see appends committed while it runs."""
    database = get_database(app)
    with database.write() as session:
        session.execute(text("CREATE TABLE grows (x INTEGER)"))
        session.execute(text("INSERT INTO grows VALUES (1)"))
    count = text("SELECT count(*) FROM grows")
    with database.snapshot_sessions() as snapshot:
        assert snapshot.execute(count).scalar() == 1
        with database.write() as session:
            session.execute(text("INSERT INTO grows VALUES (2)"))
        assert snapshot.execute(count).scalar() == 1
    with database.read_sessions() as reader:
        assert reader.execute(count).scalar() == 2


_SCRATCH = MetaData()
_STAMPS = Table(
    "prepared_stamps",
    _SCRATCH,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), nullable=False, unique=True),
    Column("at", UtcDateTime, nullable=False),
    Column("blob", LargeBinary),
    Column("kind", String(8), default="plain"),
)
_BY_NAME = Prepared(
    select(_STAMPS.c.id, _STAMPS.c.name.label("label"), _STAMPS.c.at, _STAMPS.c.blob).where(
        _STAMPS.c.name == bindparam("name")
    )
)
_ADD = Prepared(insert(_STAMPS).inline())


def _stamp(name: str, day: int) -> dict[str, Any]:
    return {
        "name": name,
        "at": datetime(2026, 1, day, 7, 30, tzinfo=UTC),
        "blob": b"\x00" + name.encode(),
        "kind": "x",
    }


def test_prepared_statements_match_sqlalchemy(app: Flask) -> None:
    """Same rows, types and stored values as ``Session.execute``, on both engines."""
    database = get_database(app)
    _SCRATCH.create_all(database.engine)
    with database.write() as session:
        _ADD.execute(session, [_stamp("một", 1)])
        _ADD.execute(session, [_stamp("hai", 2), _stamp("ba", 3)])  # executemany
    with database.read_sessions() as session:
        row = _BY_NAME.first(session, {"name": "một"})
        expected = session.execute(_BY_NAME.statement, {"name": "một"}).one()
        assert tuple(row) == tuple(expected)
        assert row.label == "một" and row.blob == b"\x00" + "một".encode()
        assert row.at == datetime(2026, 1, 1, 7, 30, tzinfo=UTC)
        assert [r.label for r in _BY_NAME.all(session, {"name": "ba"})] == ["ba"]
        assert _BY_NAME.first(session, {"name": "bốn"}) is None
        # Stored as SQLAlchemy stores it (on SQLite, text in its own format, read back as UTC).
        stored = session.execute(select(_STAMPS.c.at).where(_STAMPS.c.name == "hai")).scalar_one()
        assert stored == datetime(2026, 1, 2, 7, 30, tzinfo=UTC)


def test_prepared_errors_are_sqlalchemy_errors_and_listeners_see_statements(app: Flask) -> None:
    database = get_database(app)
    _SCRATCH.create_all(database.engine)
    with database.write() as session:
        _ADD.execute(session, [_stamp("một", 1)])
    with pytest.raises(IntegrityError), database.write() as session:
        _ADD.execute(session, [_stamp("hai", 2)])
        _ADD.execute(session, [_stamp("một", 3)])
    seen: list[str] = []

    def listen(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(database.engine, "before_cursor_execute", listen)
    try:
        with database.read_sessions() as session:
            assert _BY_NAME.first(session, {"name": "một"}).label == "một"
            assert _BY_NAME.first(session, {"name": "hai"}) is None  # rolled back
    finally:
        event.remove(database.engine, "before_cursor_execute", listen)
    assert sum("prepared_stamps" in s for s in seen) == 2


def test_prepared_refuses_what_it_cannot_run_as_compiled(app: Flask) -> None:
    database = get_database(app)
    _SCRATCH.create_all(database.engine)
    expanding = Prepared(
        select(_STAMPS.c.id).where(_STAMPS.c.name.in_(bindparam("names", expanding=True)))
    )
    defaulted = Prepared(insert(_STAMPS))  # "kind" has a Python-side default
    with database.write() as session:
        with pytest.raises(TypeError, match="expanding"):
            expanding.all(session, {"names": ["một"]})
        row = _stamp("một", 1)
        del row["kind"]
        with pytest.raises(TypeError, match="column defaults"):
            defaulted.execute(session, [row])


def test_prepared_tuples_with_a_bound_limit_and_statements_that_return_nothing(
    app: Flask,
) -> None:
    """A LIMIT parameter (SQLite adds its own OFFSET 0), rows as the driver's tuples, and a write
    without result columns among ``read_together``'s statements (pipelined on PostgreSQL)."""
    database = get_database(app)
    _SCRATCH.create_all(database.engine)
    first_names = Prepared(
        select(_STAMPS.c.name).order_by(_STAMPS.c.name).limit(bindparam("count"))
    )
    rename = Prepared(text("UPDATE prepared_stamps SET name = :new WHERE name = :old"))
    with database.write() as session:
        _ADD.execute(session, [_stamp("b", 1), _stamp("c", 2), _stamp("d", 3)])
        assert first_names.tuples(session, {"count": 2}) == [("b",), ("c",)]
        renamed, listed = read_together(
            session, [(rename, {"new": "a", "old": "d"}), (first_names, {"count": 2})]
        )
        assert renamed == [] and [r.name for r in listed] == ["a", "b"]
        assert rename.all(session, {"new": "e", "old": "a"}) == []
        assert first_names.tuples(session, {"count": 1}) == [("b",)]


def test_postgres_connections_dropped_while_idle_are_replaced(
    monkeypatch: pytest.MonkeyPatch, postgres_server_url: str
) -> None:
    """An idle pooled connection is pinged before use; one the server dropped is replaced."""
    engine = make_engine(postgres_server_url, pool_size=1)
    admin = make_engine(postgres_server_url, poolclass=NullPool)
    pid = "SELECT pg_backend_pid()"

    def terminate(backend: int) -> None:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})

    try:
        with engine.connect() as conn:
            first = conn.exec_driver_sql(pid).scalar()
        terminate(first)
        monkeypatch.setattr(db_engine, "IDLE_PING_AFTER_S", 0.0)  # as if idle for long
        with engine.connect() as conn:
            second = conn.exec_driver_sql(pid).scalar()
        assert second != first
        # Just used: no ping. A server gone in between fails that one statement, as a server
        # going mid-request would; the pool is refreshed for the next.
        monkeypatch.setattr(db_engine, "IDLE_PING_AFTER_S", 3600.0)
        terminate(second)
        with pytest.raises(DBAPIError) as failed, engine.connect() as conn:
            conn.exec_driver_sql(pid)
        assert failed.value.connection_invalidated
        with engine.connect() as conn:
            assert conn.exec_driver_sql(pid).scalar() not in (first, second)
    finally:
        engine.dispose()
        admin.dispose()


_ROWS = RowsInsert(_STAMPS)


@pytest.mark.parametrize("count", [1, 3, RowsInsert.MAX_VALUES_ROWS + 2])  # VALUES, unnest
def test_insert_together_stores_what_inserts_store_and_refuses_what_they_refuse(
    postgres_server_url: str, count: int
) -> None:
    engine = make_engine(postgres_server_url)
    _SCRATCH.drop_all(engine)
    _SCRATCH.create_all(engine)
    sessions = sessionmaker(engine)
    stamps = [_stamp(f"tem {n} ạ", 1 + n) for n in range(count)]
    try:
        assert _ROWS.columns == ("name", "at", "blob", "kind")  # not the generated id
        with sessions() as session, session.begin():
            insert_together(session, [(_ROWS, stamps[:1]), (_ROWS, [])])
            insert_together(
                session,
                [(_ROWS, stamps[1:])],
                "UPDATE prepared_stamps SET kind = :kind WHERE name = :name",
                {"kind": "sửa", "name": stamps[0]["name"]},
            )
            rows = session.execute(select(_STAMPS).order_by(_STAMPS.c.at)).all()
        expected = [dict(s, kind="sửa") if n == 0 else s for n, s in enumerate(stamps)]
        assert [dict(r._mapping, id=None) for r in rows] == [dict(s, id=None) for s in expected]
        # name is String(20): refused, not cut (among as many rows, for the same form of SQL).
        too_long = [_stamp(f"mới {n}", 1) for n in range(1, count)] + [_stamp("x" * 21, 4)]
        with pytest.raises(DBAPIError, match="too long"), sessions() as session:
            insert_together(session, [(_ROWS, too_long)])
        with pytest.raises(ValueError, match="naive"):
            _ROWS.params([{**_stamp("bốn", 4), "at": datetime(2026, 1, 4)}])
        with pytest.raises(ValueError, match="prepared_stamps"):
            _ROWS.params([{"name": "năm"}])
    finally:
        _SCRATCH.drop_all(engine)
        engine.dispose()


def test_reads_together_return_what_each_returns(app: Flask) -> None:
    """One pipeline on PostgreSQL, one read after another elsewhere: the same rows either way."""
    database = get_database(app)
    _SCRATCH.create_all(database.engine)
    with database.write() as session:
        _ADD.execute(session, [_stamp("một", 1), _stamp("hai", 2)])
        names = ["hai", "không có", "một"]
        together = read_together(session, [(_BY_NAME, {"name": n}) for n in names])
        assert together == [_BY_NAME.all(session, {"name": n}) for n in names]
        assert [rows[0].label if rows else None for rows in together] == ["hai", None, "một"]
    missing = Prepared(text("SELECT no_such_column FROM prepared_stamps"))
    with pytest.raises(DBAPIError), database.write() as session:
        read_together(session, [(_BY_NAME, {"name": "một"}), (missing, {})])


def test_postgresql_connections_run_without_jit(postgres_server_url: str) -> None:
    """A JIT compile costs tens to hundreds of ms whenever an estimate passes jit_above_cost
    (traceapp.db.engine); the options given by a caller are kept beside it."""
    engine = make_engine(postgres_server_url, connect_args={"options": "-c work_mem=8MB"})
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW jit")).scalar_one() == "off"
            assert conn.execute(text("SHOW work_mem")).scalar_one() == "8MB"
    finally:
        engine.dispose()
