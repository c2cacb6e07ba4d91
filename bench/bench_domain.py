"""Domain append throughput vs. the raw insert rate of the same engine, measured in one run.

    .venv/bin/python bench/bench_domain.py [--engines sqlite,postgresql] [--events N]
    .venv/bin/python bench/bench_domain.py --witnesses 2 [--singles N] [--rounds R]
        [--min-interval S] [--bulk]   (bench/witness_mode.py; --bulk: appends of 1,000 events)

Bulk: 1,000 events per transaction through ``record_events``. Single: one ``record_event`` per
transaction. Both durable: SQLite ``synchronous=FULL``, PostgreSQL ``synchronous_commit=on``.
The limits: sqlite3 / psycopg ``executemany`` of comparable rows in one transaction, and one
commit per row.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from flask import Flask
from support.scenario import Scenario, build_scenario
from witness_mode import run as run_witnessed

from traceapp import create_app, migrate
from traceapp.db.sessions import get_database
from traceapp.events.building import EventInput
from traceapp.events.services import record_event, record_events
from traceapp.keys.services import admin_key_name, init_ledger
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.log import create_log_key

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ROW = (b"x" * 420, b"h" * 32, "event.recorded", "producer+0011aabb")


def raw_sqlite(path: Path, rows: int) -> tuple[float, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE t (seq INTEGER PRIMARY KEY, entry BLOB, leaf BLOB, type TEXT, actor TEXT)"
    )
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", ((i, *ROW) for i in range(rows)))
    conn.execute("COMMIT")
    bulk = rows / (time.perf_counter() - start)
    singles = max(rows // 10, 200)
    start = time.perf_counter()
    for i in range(rows, rows + singles):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", (i, *ROW))
        conn.execute("COMMIT")
    single = singles / (time.perf_counter() - start)
    conn.close()
    return bulk, single


def raw_postgres(dsn: str, rows: int) -> tuple[float, float]:
    with psycopg.connect(dsn) as conn:
        conn.execute("SET synchronous_commit = on")
        conn.execute(
            "CREATE TABLE t (seq BIGINT PRIMARY KEY, entry BYTEA, leaf BYTEA, type TEXT, actor TEXT)"
        )
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO t VALUES (%s, %s, %s, %s, %s)", [(i, *ROW) for i in range(rows)]
            )
        conn.commit()
        bulk = rows / (time.perf_counter() - start)
        singles = max(rows // 10, 200)
        start = time.perf_counter()
        for i in range(rows, rows + singles):
            conn.execute("INSERT INTO t VALUES (%s, %s, %s, %s, %s)", (i, *ROW))
            conn.commit()
        single = singles / (time.perf_counter() - start)
    return bulk, single


def ledger_app(database_url: str, workdir: Path) -> tuple[Flask, Scenario]:
    """A migrated database with a fresh log and the tests' tea cooperative (bench_growth too)."""
    key = workdir / "log.key"
    create_log_key(key, "bench.ocop.example.vn/ledger")
    migrate.upgrade(database_url)
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "LOG_KEY_FILE": str(key),
            "LOG_ORIGIN": "bench.ocop.example.vn/ledger",
        }
    )
    database, ledger = get_database(app), get_ledger(app)
    with database.write() as s:
        init_ledger(s, ledger)
    with database.read_sessions() as s:
        admin = admin_key_name(s)
    return app, build_scenario(database, ledger, admin)


def inspections(scenario: Scenario, first: int, count: int) -> list[EventInput]:
    """``count`` inspections of the scenario's items, a second apart from event ``first``."""
    start_time = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        EventInput(
            type="ObjectEvent",
            event_time=start_time + timedelta(seconds=n),
            biz_step="inspecting",
            items=[scenario.items[n % len(scenario.items)]],
            read_point=scenario.farm,
        )
        for n in range(first, first + count)
    ]


def domain(
    database_url: str, workdir: Path, bulk_events: int, single_events: int, profile: bool
) -> tuple[float, float]:
    app, scenario = ledger_app(database_url, workdir)
    database, ledger = get_database(app), get_ledger(app)
    # The requests are made before the clock starts: what is timed is the append.
    chunks = [inspections(scenario, c, 1000) for c in range(0, bulk_events, 1000)]
    singles = inspections(scenario, bulk_events, single_events)
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    begin = time.perf_counter()
    for chunk in chunks:
        with database.write() as s:
            record_events(s, ledger, scenario.producer_key, chunk)
    bulk = bulk_events / (time.perf_counter() - begin)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    begin = time.perf_counter()
    for single in singles:
        with database.write() as s:
            record_event(s, ledger, scenario.producer_key, single)
    single = single_events / (time.perf_counter() - begin)
    database.dispose()
    return bulk, single


def witnessed(
    database_url: str,
    workdir: Path,
    singles: int,
    witnesses: int,
    rounds: int,
    min_interval: float | None,
    bulk: bool = False,
) -> None:
    """Single appends (``bulk``: 1,000-event appends) without, then with, ``witnesses``
    witnesses cosigning (witness_mode.py)."""
    origin = "bench.ocop.example.vn/ledger"
    app, scenario = ledger_app(database_url, workdir)
    database, ledger = get_database(app), get_ledger(app)

    def append_one(n: int) -> int:
        if bulk:  # one transaction of 1,000 events, as the bulk benchmark appends
            with database.write() as s:
                done = record_events(
                    s, ledger, scenario.producer_key, inspections(scenario, n * 1000, 1000)
                )
            assert done is not None
            return done.ledger_index + done.entry_count
        else:
            [event] = inspections(scenario, n, 1)
            with database.write() as s:
                receipt = record_event(s, ledger, scenario.producer_key, event)
        return receipt.ledger_index + receipt.entry_count

    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEAPP_")}
    env.update(
        TRACEAPP_DATABASE_URL=database_url,
        TRACEAPP_LOG_KEY_FILE=str(workdir / "log.key"),
        TRACEAPP_LOG_ORIGIN=origin,
        TRACEAPP_INSTANCE_PATH=str(workdir),
    )
    run_witnessed(
        database,
        origin,
        ledger.log.vkey,
        env,
        workdir,
        witnesses,
        singles,
        append_one,
        rounds=rounds,
        min_interval=min_interval,
    )
    database.dispose()


def report(
    engine: str,
    bulk: float,
    single: float,
    raw_bulk: float,
    raw_single: float,
    goals: tuple[int, int],
) -> None:
    print(
        f"{engine}: bulk   {bulk:8.0f} events/s  (goal >= {goals[0]})  raw executemany {raw_bulk:9.0f} rows/s  ratio {bulk / raw_bulk:.3f}"
    )
    print(
        f"{engine}: single {single:8.0f} events/s  (goal >= {goals[1]})  raw commit/row  {raw_single:9.0f} rows/s  ratio {single / raw_single:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=1_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--witnesses",
        type=int,
        default=0,
        help="Instead: --singles appends without, then with, N local witnesses cosigning.",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="With --witnesses: interleaved rounds (3)."
    )
    parser.add_argument(
        "--bulk",
        action="store_true",
        help="With --witnesses: --singles appends of 1,000 events each instead of one.",
    )
    parser.add_argument(
        "--min-interval",
        type=float,
        help="With --witnesses: the pusher's --min-interval (default: its own).",
    )
    args = parser.parse_args()
    extra = (args.rounds, args.min_interval, args.bulk)
    for engine in args.engines.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            if args.witnesses and engine == "sqlite":
                witnessed(f"sqlite:///{work}/bench.db", work, args.singles, args.witnesses, *extra)
            elif args.witnesses:
                name = f"bench_{secrets.token_hex(4)}"
                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
                try:
                    url = PG_ADMIN.rsplit("/", 1)[0].replace(
                        "postgresql://", "postgresql+psycopg://"
                    )
                    witnessed(f"{url}/{name}", work, args.singles, args.witnesses, *extra)
                finally:
                    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
            elif engine == "sqlite":
                raw = raw_sqlite(work / "raw.db", args.events)
                got = domain(
                    f"sqlite:///{work}/bench.db", work, args.events, args.singles, args.profile
                )
                report("SQLite", *got, *raw, (5000, 1000))
            else:
                name = f"bench_{secrets.token_hex(4)}"
                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
                try:
                    dsn = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
                    raw = raw_postgres(dsn, args.events)
                    url = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
                    got = domain(url, work, args.events, args.singles, args.profile)
                    report("PostgreSQL", *got, *raw, (3000, 500))
                finally:
                    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
