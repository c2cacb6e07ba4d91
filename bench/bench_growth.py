"""Costs as the log grows: per-request figures at 10^4, 10^5, 10^6 entries, and storage per event.

    .venv/bin/python bench/bench_growth.py [--engines sqlite,postgresql] [--sizes 10000,100000,1000000]
                                           [--requests 200] [--verify] [--pg-server machine|tuned]

The log grows through the real bulk path (``record_events``, 1,000 events a transaction). At
each size: single appends (``record_event``, one transaction each), ``recordEvent`` through
GraphQL (the Flask app in process, a producer token), the item page (HTML), an inclusion proof
(``GET /ledger/proof/inclusion`` of a random entry against the head), and with ``--verify``
``traceapp ledger verify --deep``'s entries per second. Each figure is printed with its ratio to
the first size's (goal: >= 0.8 at 10^6), then the database table by table and index by index,
per event, and the ledger's own bytes per entry beyond the entry (goal: <= 100 B): the subtree
hashes (level 0 being the entries' ``leaf_hash`` column, 32 B each), checkpoints and head with
their indexes; the rest of the entries' rows is quoted apart.

Before measuring at a size, the growth's write-ahead log is checkpointed (the bulk appends'
pages are theirs to write back, not the measured requests') and the database is read once into
the OS cache (SQLite: the file; PostgreSQL: ``pg_prewarm`` of every table and index), as on a
server that has run for a while with a database smaller than its memory. This machine's page
cache gives back pages it was holding while memory is free (``workingset_refault_file`` in
``/proc/vmstat``): without the read, a proof at 10^6 entries paid reads from the disk, not its
own cost (docs/performance.md).

PostgreSQL: the machine's server is CI's (128 MB of buffers, autovacuum off), so the tables are
vacuumed and analysed each time the log grows by a fifth, as autovacuum would (not counted in
the bulk growth rate). With ``--pg-server tuned`` the benchmark runs a server of its own
instead, set as ``docs/deployment.md`` sets a primary (``bench/pg_server.py``: buffers,
checkpoints, autovacuum on).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import psycopg
from bench_domain import PG_ADMIN, inspections, ledger_app
from flask import Flask
from sqlalchemy import func, select, text
from support.scenario import Scenario

from ledger.merkle import HASH_SIZE
from traceapp.auth.services import create_token
from traceapp.batches.services import BatchInput, create_batch, issue_items
from traceapp.db.sessions import get_database
from traceapp.events.services import record_event, record_events
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.reads import log_size

RATIO_GOAL, OVERHEAD_GOAL, PROOF_GOAL_MS = 0.8, 100, 5.0
VACUUM_GROWTH = 1.2  # PostgreSQL: vacuum and analyse each time the log grows by a fifth
# The tree's tables beside the entries: what the ledger stores to prove them.
TREE_TABLES = ("ledger_hashes", "ledger_checkpoints", "ledger_heads")
RECORD_EVENT = """mutation($i: RecordEventInput!) { recordEvent(input: $i) {
  ledgerIndex userErrors { code message } } }"""


def rate(count: int, work: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for n in range(count):
        work(n)
    return count / (time.perf_counter() - start)


def grow(app: Flask, scenario: Scenario, target: int, state: Growth) -> float:
    """Bulk-append until the log holds ``target`` entries, as a real ledger grows: a batch, 200
    items issued, then 1,000 events (five per item) a round. Events per second."""
    database, ledger = get_database(app), get_ledger(app)
    with database.read_sessions() as s:
        missing = target - log_size(s, ledger.origin)
    start, appended = time.perf_counter(), 0
    while missing > 0:
        if state.vacuum_due():
            start += autovacuum(app, state)  # in the background on a server: not the appends'
        state.rounds += 1
        with database.write() as s:
            batch = create_batch(
                s,
                ledger,
                scenario.producer_key,
                BatchInput(
                    product=scenario.product,
                    lot=f"G{state.rounds:07d}",
                    production_date=date(2026, 1, 1),
                    quantity="200",
                    unit="hộp",
                ),
            ).public_ids[0]
            items = issue_items(s, ledger, scenario.producer_key, batch, 200).receipt.public_ids
        events = [
            replace(event, items=[items[n % len(items)]])
            for n, event in enumerate(inspections(scenario, state.next_event, 1000))
        ]
        state.next_event += len(events)
        with database.write() as s:
            record_events(s, ledger, scenario.producer_key, events)
        state.items = items
        missing -= len(events) + 2
        appended += len(events) + 2
    return appended / max(time.perf_counter() - start, 1e-9)


@dataclass
class Growth:
    next_event: int = 0
    rounds: int = 0
    items: list[str] = field(default_factory=list)  # the newest round's: measured on them
    emulate_autovacuum: bool = False
    vacuumed_at: int = 1_000  # events when PostgreSQL's tables were last vacuumed and analysed
    vacuum_seconds: float = 0.0

    def vacuum_due(self) -> bool:
        """On the machine's PostgreSQL: the log has grown by a fifth since the last vacuum."""
        return self.emulate_autovacuum and self.next_event >= self.vacuumed_at * VACUUM_GROWTH


def autovacuum(app: Flask, state: Growth) -> float:
    """``VACUUM (ANALYZE)`` the database, as autovacuum does when a table has grown by a fifth
    (its default scale factors: 0.2 to vacuum, also for inserts, 0.1 to analyse). This
    machine's server runs with autovacuum off (a CI image's ``conf.d``); a server in service
    runs it, and without its statistics the planner takes an item lookup by serial through
    every batch of the product. Seconds spent."""
    begin = time.perf_counter()
    engine = get_database(app).engine.execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
    state.vacuumed_at = state.next_event
    spent = time.perf_counter() - begin
    state.vacuum_seconds += spent
    return spent


def measure(
    app: Flask, scenario: Scenario, token: str, requests: int, state: Growth
) -> dict[str, float]:
    database, ledger = get_database(app), get_ledger(app)
    client = app.test_client()
    figures: dict[str, float] = {}

    def single(n: int) -> None:
        [event] = inspections(scenario, state.next_event, 1)
        state.next_event += 1
        event = replace(event, items=[state.items[n % len(state.items)]])
        with database.write() as s:
            record_event(s, ledger, scenario.producer_key, event)

    figures["single append /s"] = rate(requests, single)

    def graphql(n: int) -> None:
        [event] = inspections(scenario, state.next_event, 1)
        state.next_event += 1
        variables = {
            "i": {
                "event": {
                    "type": "OBJECT_EVENT",
                    "eventTime": event.event_time.isoformat(),
                    "bizStep": "inspecting",
                    "items": [_global_id("Item", state.items[-1 - n % len(state.items)])],
                }
            }
        }
        response = client.post(
            "/graphql",
            json={"query": RECORD_EVENT, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.get_json()
        assert body["data"]["recordEvent"]["userErrors"] == [], body

    figures["recordEvent (GraphQL) /s"] = rate(requests, graphql)

    paths = _item_paths(app, state.items)

    def page(n: int) -> None:
        # Shoppers: an address each (the page limit is per client, 60 a minute).
        shopper = {"REMOTE_ADDR": f"10.0.{n // 250 % 250}.{n % 250 + 1}"}
        response = client.get(
            paths[n % len(paths)], headers={"Accept": "text/html"}, environ_overrides=shopper
        )
        assert response.status_code == 200, response.status_code

    figures["item page /s"] = rate(requests, page)
    with database.read_sessions() as s:
        size = log_size(s, ledger.origin)
    times: list[float] = []
    for _ in range(requests):
        index = random.randrange(size)
        start = time.perf_counter()
        response = client.get(f"/ledger/proof/inclusion?index={index}&size={size}")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    figures["inclusion proof /s"] = len(times) / sum(times)
    figures["inclusion proof p99 ms"] = statistics.quantiles(times, n=100)[98] * 1000
    return figures


def warm(app: Flask) -> tuple[float, float]:
    """Checkpoint the growth's WAL, then read the database once into the OS cache: (MB read,
    seconds)."""
    database, start = get_database(app), time.perf_counter()
    raw = database.engine.raw_connection()  # SQLite's checkpoint runs outside a transaction
    try:
        raw.driver_connection.execute(  # type: ignore[union-attr]
            "PRAGMA wal_checkpoint(TRUNCATE)" if database.is_sqlite else "CHECKPOINT"
        )
        raw.commit()
    finally:
        raw.close()
    if database.is_sqlite:
        path = Path(database.engine.url.database or "")
        read = 0
        for part in (path, path.with_name(path.name + "-wal")):
            if part.exists():
                with part.open("rb") as f:
                    while chunk := f.read(1 << 20):
                        read += len(chunk)
        return read / 1e6, time.perf_counter() - start
    with database.engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
        blocks = conn.execute(
            text(
                "SELECT sum(pg_prewarm(c.oid, 'read')) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 't')"
            )
        ).scalar()
    return int(blocks or 0) * 8192 / 1e6, time.perf_counter() - start


def verify_rate(app: Flask) -> float:
    runner = app.test_cli_runner()
    with get_database(app).read_sessions() as s:
        size = log_size(s, get_ledger(app).origin)
    start = time.perf_counter()
    result = runner.invoke(args=["ledger", "verify", "--deep"])
    assert result.exit_code == 0, result.output
    return size / (time.perf_counter() - start)


def _global_id(type_name: str, public_id: str) -> str:
    from traceapp.api.ids import encode_global_id

    return encode_global_id(type_name, public_id)


def storage(app: Flask) -> dict[str, int]:
    """Bytes per table and per index (``name`` or ``table.index``)."""
    database = get_database(app)
    with database.engine.connect() as conn:
        if database.is_sqlite:
            raw = conn.connection.dbapi_connection
            assert isinstance(raw, sqlite3.Connection)
            rows = raw.execute(
                "SELECT s.name, m.tbl_name, m.type, SUM(s.pgsize) FROM dbstat s "
                "JOIN sqlite_master m ON m.name = s.name GROUP BY s.name"
            ).fetchall()
            return {(n if t == "table" else f"{tbl}.{n}"): int(b) for n, tbl, t, b in rows}
        rows = conn.execute(
            text(
                "SELECT c.relname, t.relname, c.relkind, pg_total_relation_size(c.oid) "
                "- CASE WHEN c.relkind = 'r' THEN pg_indexes_size(c.oid) ELSE 0 END "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "LEFT JOIN pg_index i ON i.indexrelid = c.oid "
                "LEFT JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
            )
        ).all()
        return {(n if k == "r" else f"{t}.{n}"): int(b) for n, t, k, b in rows}


def report_storage(app: Flask, events: int) -> None:
    sizes = storage(app)
    database, ledger = get_database(app), get_ledger(app)
    with database.read_sessions() as s:
        entries = log_size(s, ledger.origin)
        entry_bytes = s.scalar(select(func.sum(func.length(LedgerEntry.entry)))) or 0
    total = sum(sizes.values())
    print(f"  database: {total / events:,.0f} B per event ({total / 1e6:,.1f} MB, {events} events)")
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
        if size >= total / 100:  # the tables and indexes that matter
            print(f"    {name:<48} {size / events:8,.0f} B/event")
    # The issue's measure: subtree hashes (the entries' leaf_hash column is level 0), checkpoints
    # and the head, with their indexes. The entries' own row (keys, type, actor, page space) and
    # its indexes are quoted apart, beside the entries' bytes.
    tree = sum(v for k, v in sizes.items() if k.split(".")[0] in TREE_TABLES)
    own = tree + HASH_SIZE * entries
    verdict = "ok" if own / entries <= OVERHEAD_GOAL else "ABOVE"
    print(
        f"  ledger's own storage (subtree hashes incl. the leaf hashes, checkpoints, head, their "
        f"indexes): {own / entries:,.1f} B/entry (goal <= {OVERHEAD_GOAL}) {verdict}"
    )
    rows = sum(v for k, v in sizes.items() if k.split(".")[0] == "ledger_entries")
    row_cost = rows - entry_bytes - HASH_SIZE * entries
    print(
        f"  ledger_entries beyond the entries' bytes and leaf hashes (keys, type, actor, page "
        f"space, indexes): {row_cost / entries:,.0f} B/entry (entries {entry_bytes / entries:,.0f} B "
        f"on average)"
    )


def run(
    database_url: str,
    workdir: Path,
    sizes: list[int],
    requests: int,
    verify: bool,
    *,
    autovacuum_runs: bool = True,
) -> None:
    """``autovacuum_runs``: False on the machine's PostgreSQL, whose autovacuum is off."""
    app, scenario = ledger_app(database_url, workdir)
    with get_database(app).write() as s:
        token = create_token(s, "producer", scenario.producer)[1]
    state = Growth(emulate_autovacuum=not get_database(app).is_sqlite and not autovacuum_runs)
    first: dict[str, float] = {}
    for size in sizes:
        grown = grow(app, scenario, size, state)
        if state.vacuum_due():
            autovacuum(app, state)
        warmed = warm(app)
        figures = measure(app, scenario, token, requests, state)
        if verify:
            figures["verify --deep entries/s"] = verify_rate(app)
        first = first or figures
        print(
            f"\n size {size:,} (bulk growth {grown:,.0f} events/s; load {os.getloadavg()[0]:.1f}; "
            f"database read into the OS cache first: {warmed[0]:,.0f} MB in {warmed[1]:.1f} s)"
        )
        if state.emulate_autovacuum:
            print(f"  VACUUM (ANALYZE) as autovacuum would, so far: {state.vacuum_seconds:.1f} s")
        for name, value in figures.items():
            ratio = value / first[name] if "p99" not in name else first[name] / value
            goal = ""
            if "p99" in name:
                goal = "ok" if value <= PROOF_GOAL_MS else "ABOVE"
                goal = f"(goal <= {PROOF_GOAL_MS} ms at 10^6) {goal}"
            elif size != sizes[0]:
                goal = "ok" if ratio >= RATIO_GOAL else "BELOW"
                goal = f"(goal >= {RATIO_GOAL}) {goal}"
            print(f"  {name:<28} {value:12,.1f}   vs {sizes[0]:,}: {ratio:5.2f} {goal}")
        report_storage(app, state.next_event)
    get_database(app).dispose()


def _item_paths(app: Flask, public_ids: list[str]) -> list[str]:
    """The Digital Link paths of items (each with its batch's five events)."""
    from traceapp.batches.models import Batch, Item
    from traceapp.products.models import Product

    with get_database(app).read_sessions() as s:
        rows = s.execute(
            select(Product.gtin, Batch.lot, Item.serial)
            .join(Batch, Item.batch_id == Batch.id)
            .join(Product, Batch.product_id == Product.id)
            .where(Item.public_id.in_(public_ids[:50]))
        ).all()
    return [f"/01/{gtin}/10/{lot}/21/{serial}" for gtin, lot, serial in rows]


def run_postgresql(admin_dsn: str, work: Path, args: argparse.Namespace, tuned: bool) -> None:
    name = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        url = admin_dsn.rsplit("/", 1)[0] + "/" + name
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        sizes = [int(s) for s in args.sizes.split(",")]
        run(url, work, sizes, args.requests, args.verify, autovacuum_runs=tuned)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--verify", action="store_true")
    parser.add_argument(
        "--pg-server",
        choices=("machine", "tuned"),
        default="machine",
        help="the machine's server (CI's settings), or one of the benchmark's own set as "
        "docs/deployment.md sets a primary (bench/pg_server.py)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for engine in args.engines.split(","):
        print(f"\n[{engine}]")
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            if engine == "sqlite":
                run(f"sqlite:///{work}/growth.db", work, sizes, args.requests, args.verify)
            elif args.pg_server == "tuned":
                from pg_server import TUNED, tuned_server

                print("  a server of its own: " + ", ".join(f"{k}={v}" for k, v in TUNED.items()))
                with tuned_server() as admin_dsn:
                    run_postgresql(admin_dsn, work, args, tuned=True)
            else:
                run_postgresql(PG_ADMIN, work, args, tuned=False)
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    sys.exit(main())
