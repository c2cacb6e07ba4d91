"""The programme office at national scale: generation through the real write path, then the
office's pages, the statistics query, a full CSV export and the peak RSS of an XLSX export,
each against its limit; the same pages on the demo data set, and their ratio.

    .venv/bin/python bench/bench_office.py [--engine sqlite|postgresql] [--factor 1.0]
                                           [--keep DIR] [--pg-server machine|tuned]

Factor 1 is issue 17's national set: 12,000 producers in 34 provinces (half recorded under
their pre-merger province), 17,000 products, 20,000 certificates, 200,000 batches, 1,000,000
items, 2,000,000 events. Every row is appended through the domain services (producers 200 to
a transaction; then one transaction per producer: its products, certificates, batches, items
and events, the events through the bulk ``record_events``). Run it at full size alone (it
takes hours on the shared machine); a smoke run: ``--factor 0.0005``. ``--keep DIR`` keeps the
national set in DIR (SQLite file or the PostgreSQL database's name, with the log key) and a
second run with the same DIR and factor measures it again without generating it.
``--pg-server tuned`` runs PostgreSQL on a server of the benchmark's own, set as
docs/deployment.md sets a primary (``bench/pg_server.py``; with ``--keep`` its cluster stays in
DIR/pg); the machine's own server is CI's (autovacuum off, 128 MB of buffers).

Over 400 lines: the generator, the measurements and the XLSX worker process (this file run with
``--xlsx-child``) stay in one file, so the benchmark is one command.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_growth import warm
from console.conftest import sign_in

from traceapp import create_app, migrate
from traceapp.accounts.errors import LoginTaken
from traceapp.accounts.models import OFFICE_ADMIN
from traceapp.accounts.services import PersonInput, create_account
from traceapp.auth.services import create_token
from traceapp.batches.services import BatchInput, create_batch, issue_items
from traceapp.console.core import COOKIE
from traceapp.console.office import PAGE_SIZE
from traceapp.db.sessions import Database, get_database
from traceapp.demo.loader import DemoLoader
from traceapp.events.building import EventInput
from traceapp.events.services import record_events
from traceapp.gs1.identifiers import with_check_digit
from traceapp.keys.services import admin_key_name, init_ledger
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.log import create_log_key
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.models import PRODUCER_KINDS, Producer
from traceapp.producers.services import ProducerInput, producer_key, register_producer
from traceapp.products.models import PRODUCT_GROUPS
from traceapp.products.services import (
    CertificationInput,
    ProductInput,
    grant_certification,
    register_product,
)
from traceapp.scans import services as scans
from traceapp.server import freeze_heap
from traceapp.statistics.provinces import provinces
from traceapp.statistics.scans import fold_scans

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ORIGIN = "bench.ocop.example.vn/ledger"
NATIONAL = {
    "producers": 12_000,
    "products": 17_000,
    "certificates": 20_000,
    "batches": 200_000,
    "items": 1_000_000,
    "events": 2_000_000,
}
PAGE_P95_MS = 150.0
CSV_PRODUCTS_S = 5.0
XLSX_RSS_MB = 300.0
DEMO_RATIO = 2.0
REPEAT = 100  # p95 of 100: the 5th slowest, not the 2nd of 40
PAGE_KB = 50.0  # DESIGN §13: HTML+CSS of a console page
PAGE_BYTES = "HTML of /console/office/statistics"
LOGIN, PASSWORD = "thongke@ocop.example.vn", "bảng số liệu quốc gia 2026"
PAGES = (
    "/console/office/",
    "/console/office/?name=hop+tac+xa&province=Quang+Nam",
    "/console/office/tokens",
    "/console/office/statistics",
    "/console/office/statistics?province=quang+nam",
    "/console/office/statistics?group=food&kind=cooperative",
    "/console/office/statistics/certificates?days=30",
    "/console/office/statistics/certificates?days=90",
    "/console/office/reports",
)
GRAPHQL = (
    "{ statistics { checkpoint { size } producers products certificatesValid "
    "producersByProvince { key count } itemsPerMonth { key count } capacity { month batches } "
    "scansByProvince { key scans } } }"
)


def _former_names() -> list[str]:
    raw = json.loads(
        (Path(__file__).resolve().parents[1] / "traceapp/statistics/provinces.json").read_text()
    )
    return sorted(raw["before_2025_07_01"])


def open_app(url: str, workdir: Path) -> tuple[Any, Database, Ledger, str]:
    key = workdir / "log.key"
    if not key.exists():
        create_log_key(key, ORIGIN)
    migrate.upgrade(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "LOG_KEY_FILE": str(key),
            "LOG_ORIGIN": ORIGIN,
            "INSTANCE_PATH": str(workdir),
        }
    )
    database, ledger = get_database(app), get_ledger(app)
    with database.read_sessions() as s:
        try:
            admin = admin_key_name(s)
        except Exception:
            admin = ""
    if not admin:
        with database.write() as s:
            init_ledger(s, ledger)
        with database.read_sessions() as s:
            admin = admin_key_name(s)
    try:
        with database.write() as s:
            create_account(s, OFFICE_ADMIN, None, PersonInput("Thống kê", LOGIN, None, PASSWORD))
    except LoginTaken:
        pass  # a kept national set (--keep)
    return app, database, ledger, admin


def _share(total: int, parts: int, index: int) -> int:
    return total // parts + (1 if index < total % parts else 0)


def generate(database: Database, ledger: Ledger, admin: str, factor: float) -> dict[str, float]:
    sizes = {k: max(1, round(v * factor)) for k, v in NATIONAL.items()}
    now, timings = datetime.now(UTC), {}
    current, former = provinces(), _former_names()
    start = time.perf_counter()
    producers: list[str] = []
    for chunk in range(0, sizes["producers"], 200):
        with database.write() as s:
            for n in range(chunk, min(chunk + 200, sizes["producers"])):
                before = n % 2 == 1  # half recorded before the merger, under former names
                producers.append(
                    register_producer(
                        s,
                        ledger,
                        admin,
                        ProducerInput(
                            kind=PRODUCER_KINDS[n % 3],
                            name=f"Chủ thể OCOP số {n}",
                            province=(former[n % 63] if before else current[n % 34]),
                            commune=f"Xã {n % 97}",
                            address_recorded_on=date(2024, 6, 1) if before else date(2025, 9, 1),
                        ),
                    ).public_ids[0]
                )
    timings["producers"] = time.perf_counter() - start
    start, gtin, lot = time.perf_counter(), 0, 0
    count = len(producers)
    for p_index, producer in enumerate(producers):
        with database.write() as s:
            key = producer_key(s, producer)
            products = []
            for _ in range(_share(sizes["products"], count, p_index)):
                gtin += 1
                products.append(
                    register_product(
                        s,
                        ledger,
                        key,
                        ProductInput(
                            producer=producer,
                            gtin=with_check_digit(f"893{gtin:09d}"),
                            name_vi=f"Sản phẩm {gtin}",
                            group=PRODUCT_GROUPS[gtin % 6],
                        ),
                    ).public_ids[0]
                )
            if not products:
                continue
            for c in range(_share(sizes["certificates"], count, p_index)):
                grant_certification(
                    s,
                    ledger,
                    admin,
                    CertificationInput(
                        product=products[c % len(products)],
                        scheme="OCOP",
                        stars=3 + c % 3,
                        issuer="UBND tỉnh",
                        issuer_level="province",
                        decision_number=f"{p_index}-{c}/QĐ-UBND",
                        issued_on=(now - timedelta(days=30 * (c % 40))).date(),
                    ),
                )
            batches = _share(sizes["batches"], count, p_index)
            per_batch = max(1, sizes["items"] // sizes["batches"])
            per_items = max(1, sizes["events"] // max(1, sizes["items"]))
            events: list[EventInput] = []
            for b in range(batches):
                lot += 1
                batch = create_batch(
                    s,
                    ledger,
                    key,
                    BatchInput(
                        product=products[b % len(products)],
                        lot=f"L{lot}",
                        production_date=(now - timedelta(days=b * 7 % 360)).date(),
                        quantity=str(per_batch * 10),
                        unit="kg",
                    ),
                ).public_ids[0]
                items = issue_items(s, ledger, key, batch, per_batch).receipt.public_ids
                if b % 2 == 0:  # shoppers' scans (off the ledger): 3 of every other batch
                    for k in range(3):
                        scans.record(
                            s,
                            items[0],
                            at=now - timedelta(hours=k + b),
                            client=f"c{k}",
                            agent=None,
                            result="ok",
                        )
                for e in range(per_items * len(items)):
                    events.append(
                        EventInput(
                            type="ObjectEvent",
                            event_time=now - timedelta(minutes=lot * 10 + e),
                            biz_step="inspecting",
                            items=[items[e % len(items)]],
                        )
                    )
            for at in range(0, len(events), 5000):
                record_events(s, ledger, key, events[at : at + 5000])
        if p_index % 500 == 0:
            print(
                f"  ... {p_index + 1}/{count} producers' catalogues, "
                f"{time.perf_counter() - start:.0f} s",
                flush=True,
            )
    timings["catalogue, batches, items, events"] = time.perf_counter() - start
    start = time.perf_counter()
    with database.write() as s:
        folded = fold_scans(s)
        while folded:
            folded = fold_scans(s)
    timings["scan statistics (fold)"] = time.perf_counter() - start
    return timings


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def measure_pages(app: Any, database: Database) -> dict[str, float]:
    client = app.test_client()
    assert sign_in(client, LOGIN, PASSWORD).status_code == 303
    with database.write() as s:
        token = create_token(s, "admin")[1]
    found: dict[str, float] = {}
    for url in PAGES:  # modules, templates and schemas loaded, as in a worker that served once
        assert client.get(url).status_code == 200, url
    # As a gunicorn worker does once its app is built: a full collection of this process's
    # heap (the generator's, the other set's) would otherwise land in a page's p95.
    freeze_heap()

    def timed(name: str, call: Callable[[], int]) -> None:
        for _ in range(3):  # templates compiled, statements cached
            assert call() == 200, name
        samples = []
        for _ in range(REPEAT):
            begin = time.perf_counter()
            assert call() == 200, name
            samples.append((time.perf_counter() - begin) * 1000)
        found[name] = p95(samples)

    with database.read_sessions() as s:
        producer = s.execute(select(Producer.public_id).order_by(Producer.id.desc())).scalar()
        count = s.execute(select(func.count()).select_from(Producer)).scalar_one()
        deep = s.execute(  # where page 100 began when the list had page numbers
            select(Producer.public_id)
            .order_by(Producer.name_key, Producer.id)
            .offset(min(99 * PAGE_SIZE, count) - 1)
        ).scalar()
    for url in PAGES:
        timed(url, lambda url=url: client.get(url).status_code)
    paged = f"/console/office/?after={deep}"
    timed("/console/office/?after=<the 2,475th producer>", lambda: client.get(paged).status_code)
    newest = f"/console/office/producers/{producer}"
    timed("/console/office/producers/<the newest>", lambda: client.get(newest).status_code)
    found[PAGE_BYTES] = len(client.get(PAGES[0]).get_data()) / 1024
    headers = {"Authorization": f"Bearer {token}"}
    timed(
        "graphql statistics",
        lambda: client.post("/graphql", json={"query": GRAPHQL}, headers=headers).status_code,
    )
    return found


def csv_products(app: Any) -> tuple[float, int]:
    client = app.test_client()
    assert sign_in(client, LOGIN, PASSWORD).status_code == 303
    begin = time.perf_counter()
    response = client.get("/console/office/export/products.csv", buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    return time.perf_counter() - begin, size


def xlsx_rss(app: Any, url: str, workdir: Path) -> tuple[float, float, float, int]:
    """(anonymous RSS in MB of a fresh process before the export, its peak during the export
    of the items as XLSX, its peak RSS with mapped file pages, bytes sent): the export runs in
    a worker of its own, signed in with a session made here (argon2's 64 MiB for the password
    is not the export's). ``ru_maxrss`` is not used: across fork and exec it keeps the parent's
    peak (this benchmark's, with the whole database mapped)."""
    client = app.test_client()
    assert sign_in(client, LOGIN, PASSWORD).status_code == 303
    cookie = client.get_cookie(COOKIE, path="/console")
    assert cookie is not None
    out = subprocess.run(
        [sys.executable, __file__, "--xlsx-child", url, "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_SESSION": cookie.value},
    )
    before, peak, hwm, size = out.stdout.strip().splitlines()[-1].split()
    return float(before), float(peak), float(hwm), int(size)


def _xlsx_child(url: str, workdir: Path) -> None:
    app = create_app(
        {
            "DATABASE_URL": url,
            "LOG_KEY_FILE": str(workdir / "log.key"),
            "LOG_ORIGIN": ORIGIN,
            "INSTANCE_PATH": str(workdir),
        }
    )
    client = app.test_client()
    client.set_cookie(COOKIE, os.environ["BENCH_SESSION"], path="/console")
    before, peak, done = _status_kb("RssAnon"), [0], threading.Event()

    def sample() -> None:  # the worker's own memory, every 20 ms
        while not done.wait(0.02):
            peak[0] = max(peak[0], _status_kb("RssAnon"))

    sampler = threading.Thread(target=sample)
    sampler.start()
    response = client.get("/console/office/export/items.xlsx", buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    done.set()
    sampler.join()
    print(
        f"{before / 1024:.1f} {max(peak[0], _status_kb('RssAnon')) / 1024:.1f} "
        f"{_status_kb('VmHWM') / 1024:.1f} {size}"
    )


def _status_kb(field: str) -> int:
    """A kB figure of /proc/self/status: ``RssAnon`` is the process's own memory; ``VmHWM``
    (peak RSS) also counts the pages of the SQLite file it maps (shared with the OS cache)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def database_url(
    engine: str, workdir: Path, name: str, admin: str
) -> tuple[str, Callable[[], None]]:
    if engine == "sqlite":
        return f"sqlite:///{workdir / name}.db", lambda: None
    db = f"bench_office_{name}_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    return _on(admin, db), drop


def _on(admin: str, db: str) -> str:
    """The SQLAlchemy URL of database ``db`` on the server of the admin DSN ``admin``."""
    server = admin.removeprefix("postgresql://").rsplit("/", 1)[0]
    return f"postgresql+psycopg://{server}/{db}"


def line(name: str, figure: float, limit: float, unit: str) -> None:
    verdict = "ok" if figure <= limit else "OVER"
    print(
        f"  {name:55s} {figure:9.1f} {unit}  limit {limit:7.1f} {unit}  "
        f"ratio {figure / limit:5.2f}  {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--factor", type=float, default=1.0)
    parser.add_argument("--xlsx-child")
    parser.add_argument("--workdir")
    parser.add_argument("--keep", help="a folder to keep the national set in, and reuse")
    parser.add_argument(
        "--pg-server",
        choices=("machine", "tuned"),
        default="machine",
        help="PostgreSQL: the machine's server (CI's settings), or one of the benchmark's own set "
        "as docs/deployment.md sets a primary (bench/pg_server.py; kept in DIR/pg with --keep)",
    )
    args = parser.parse_args()
    if args.xlsx_child:
        _xlsx_child(args.xlsx_child, Path(args.workdir))
        return
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-office-"))
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        admin = PG_ADMIN
        if args.engine == "postgresql" and args.pg_server == "tuned":
            from pg_server import tuned_server

            admin = stack.enter_context(tuned_server(keep=workdir / "pg" if args.keep else None))
        server = "-tuned" if admin != PG_ADMIN else ""
        kept = workdir / f"national-{args.engine}{server}-x{args.factor}.json"
        generated = bool(args.keep) and kept.exists()
        if generated:
            url = json.loads(kept.read_text())["url"]
            if args.engine == "postgresql":  # the kept database on this run's port
                url = _on(admin, url.rsplit("/", 1)[1])
        else:
            url, drop = database_url(args.engine, workdir, "national", admin)
        demo_url, drop_demo = database_url(args.engine, Path(tmp), "demo", admin)
        try:
            marker = kept if args.keep else None
            run(args.engine, args.factor, url, demo_url, workdir, generated=generated, kept=marker)
        finally:
            if not args.keep:
                drop()
            drop_demo()


def run(
    engine: str,
    factor: float,
    url: str,
    demo_url: str,
    workdir: Path,
    *,
    generated: bool,
    kept: Path | None,
) -> None:
    print(
        f"{engine}: national set x{factor} "
        + ", ".join(f"{k} {max(1, round(v * factor)):,}" for k, v in NATIONAL.items())
    )
    app, database, ledger, admin = open_app(url, workdir)
    if generated:
        print(f"  kept from an earlier run ({workdir}): not generated again")
    else:
        begin = time.perf_counter()
        for phase, seconds in generate(database, ledger, admin, factor).items():
            print(f"  generated {phase}: {seconds:.1f} s")
        print(f"  generation in all: {time.perf_counter() - begin:.1f} s")
        print(f"  load {os.getloadavg()[0]:.1f}", flush=True)
        if kept is not None:
            kept.write_text(json.dumps({"url": url}))
    read, seconds = warm(app)  # this machine's page cache gives back pages while memory is free
    print(f"  read into the OS cache before measuring: {read:,.0f} MB in {seconds:.1f} s")
    pages = measure_pages(app, database)
    for name, ms in pages.items():
        if name == PAGE_BYTES:
            line(name, ms, PAGE_KB, "KB")
        else:
            line(f"p95 {name}", ms, PAGE_P95_MS, "ms")
    seconds, size = csv_products(app)
    line(f"CSV export of every product ({size:,} bytes)", seconds, CSV_PRODUCTS_S, "s")
    before, peak, hwm, size = xlsx_rss(app, url, workdir)
    line(
        f"peak anonymous RSS, XLSX export of the items ({size:,} bytes; {before:.0f} MB "
        f"before; peak RSS with the mapped database {hwm:,.0f} MB)",
        peak,
        XLSX_RSS_MB,
        "MB",
    )
    demo_dir = workdir / "demo"
    shutil.rmtree(demo_dir, ignore_errors=True)  # a kept folder's earlier demo (--keep)
    demo_dir.mkdir()
    demo_app, demo_db, demo_ledger, demo_admin = open_app(demo_url, demo_dir)
    DemoLoader(demo_db, demo_ledger, demo_admin, "http://127.0.0.1:8000").run()
    demo = measure_pages(demo_app, demo_db)
    print(
        f"{engine}: the same pages on the demo data set (national p95 / demo p95, limit "
        f"{DEMO_RATIO}: the cost must not grow with the ledger)"
    )
    for name, ms in demo.items():
        if name == PAGE_BYTES:
            continue
        print(
            f"  {name:55s} demo {ms:7.1f} ms  national {pages[name]:7.1f} ms  "
            f"ratio {pages[name] / ms:5.2f}  {'ok' if pages[name] / ms <= DEMO_RATIO else 'OVER'}"
        )
    demo_db.dispose()


if __name__ == "__main__":
    os.environ.setdefault("TRACEAPP_ENV", "development")
    main()
