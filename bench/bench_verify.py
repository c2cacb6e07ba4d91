"""Benchmark: item verification under `traceapp serve`, and a 1,000-label print run.

For each engine (SQLite file; PostgreSQL temp database at postgresql://postgres@127.0.0.1:5432,
created and dropped here), in a temp directory: `traceapp demo`, then `traceapp serve
--workers 2`, then a bounded load (N threads, one keep-alive http.client connection each, a
fixed duration per endpoint) on:

- `/readyz`, a plain Flask endpoint doing one database read: the floor of this stack;
- the sample item's Digital Link path with `Accept: application/json` and as HTML (resolver);
- its GS1 linkset (`Accept: application/linkset+json`) and the 307 of `?linkType=gs1:traceability`
  (GS1-Conformant Resolver 1.2; a 307 counts as answered there);
- the item's QR PNG;
- the item's photo (`/media/<sha256>.webp`) against a static file (`/static/verify.css`) of the
  same server, as a ratio (goal >= 0.8).

It prints requests/s and each endpoint's ratio to `/readyz` in the same run (goal >= 0.5 for
the resolver), and the linkset's and the 307's ratio to the HTML page (goal >= 0.8). If the resolver does not answer the sample item (not built yet), it says so
and exits 1: no numbers are made up.

Then, in-process on the SQLite demo database: 1,000 items issued on one batch, their labels
read back and drawn to one A4 PDF exactly as `traceapp labels` does (goal <= 10 s), next to the
raw QR matrix rate (our `encode`, and plain `qrcode` with its own mask search).

    .venv/bin/python bench/bench_verify.py [--duration S] [--threads N] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
TRACEAPP = str(Path(sys.executable).parent / "traceapp")
PG_ADMIN = os.environ.get("TRACEAPP_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432")
RATIO_GOAL = 0.5
PAGE_RATIO_GOAL = 0.8  # linkset and 307 next to the page they stand beside
LABELS_GOAL_SECONDS = 10.0
ITEM_URI = re.compile(r"https?://\S+/01/\S+/21/\S+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def database(engine: str, workdir: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    import psycopg

    name = f"traceapp_bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN}/{name}"
    finally:
        with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def server(env: dict[str, str], port: int) -> Iterator[None]:
    process = subprocess.Popen(
        [TRACEAPP, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        cwd=env["BENCH_WORKDIR"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: stopped with its workers below
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"traceapp serve did not start (exit {process.returncode})")
            time.sleep(0.2)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def get(port: int, path: str, accept: str = "*/*") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Accept": accept})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class SourceAddresses:
    """Fresh loopback source addresses (127.1.0.1, 127.1.0.2, ...), one per client.

    The resolver rate-limits each client address (60 pages a minute): a load from one
    address would measure the limiter's 429s. So each connection stands for one shopper and
    makes at most REQUESTS_PER_CLIENT requests before the next address takes over.
    """

    def __init__(self) -> None:
        self._next = 1 << 16
        self._lock = threading.Lock()

    def take(self) -> str:
        with self._lock:
            while self._next & 255 in (0, 255):
                self._next += 1
            n, self._next = self._next, self._next + 1
        return f"127.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


REQUESTS_PER_CLIENT = 50


def load(
    port: int,
    path: str,
    accept: str,
    threads: int,
    duration: float,
    sources: SourceAddresses,
    expect: int = 200,
) -> tuple[float, dict[int, int]]:
    """Requests/s answered ``expect`` during ``duration``, and the count of each other status."""
    ok = [0] * threads
    others: list[dict[int, int]] = [{} for _ in range(threads)]
    deadline = time.monotonic() + duration

    def connect() -> http.client.HTTPConnection:
        source = (sources.take(), 0)
        return http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=source)

    def worker(index: int) -> None:
        conn, made = connect(), 0
        while time.monotonic() < deadline:
            if made == REQUESTS_PER_CLIENT:
                conn.close()
                conn, made = connect(), 0
            made += 1
            try:
                conn.request("GET", path, headers={"Accept": accept})
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                others[index][0] = others[index].get(0, 0) + 1  # 0: no answer
                conn.close()
                conn, made = connect(), 0
                continue
            if response.status == expect:
                ok[index] += 1
            else:
                others[index][response.status] = others[index].get(response.status, 0) + 1
        conn.close()

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    failures: dict[int, int] = {}
    for counts in others:
        for status, count in counts.items():
            failures[status] = failures.get(status, 0) + count
    return sum(ok) / (time.monotonic() - started), failures


def bench_engine(engine: str, threads: int, duration: float, workdir: Path) -> bool:
    """Print the figures of one engine; False if the resolver is missing."""
    port = free_port()
    with database(engine, workdir) as url:
        env = {
            **os.environ,
            "TRACEAPP_DATABASE_URL": url,
            "TRACEAPP_LOG_KEY_FILE": str(workdir / f"{engine}.key"),
            "TRACEAPP_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "BENCH_WORKDIR": str(workdir),
            "TRACEAPP_MEDIA_DIR": str(workdir / f"{engine}-media"),
        }
        started = time.perf_counter()
        demo = subprocess.run(
            [TRACEAPP, "demo"], env=env, cwd=workdir, capture_output=True, text=True, check=False
        )
        if demo.returncode != 0:
            raise SystemExit(f"traceapp demo failed on {engine}:\n{demo.stdout}{demo.stderr}")
        print(f"\n[{engine}] traceapp demo: {time.perf_counter() - started:.1f} s")
        item_path = urlsplit(ITEM_URI.findall(demo.stdout)[0]).path
        rates: dict[str, float] = {}
        with server(env, port):
            status, _ = get(port, item_path, "application/json")
            if status == 200:
                rates = measure(port, item_path, engine, threads, duration)
                bench_media(port, item_path, engine, threads, duration)
            else:
                print(f"[{engine}] the resolver does not answer {item_path} (HTTP {status}):")
                print("  GET /01/... (DESIGN §7) is missing; no verification figures.")
        if engine == "sqlite":
            bench_labels(url, workdir / f"{engine}.key", env["TRACEAPP_PUBLIC_URL"])
    if not rates:
        return False
    floor = rates["/readyz"]
    for name in ("item JSON", "item HTML", "item QR PNG"):
        ratio = rates[name] / floor
        verdict = "" if "QR" in name else ("  ok" if ratio >= RATIO_GOAL else "  BELOW")
        print(f"[{engine}] {name} / readyz = {ratio:.2f} (goal >= {RATIO_GOAL}){verdict}")
    page = rates["item HTML"]
    for name in ("item linkset", "item 307"):
        ratio = rates[name] / page
        verdict = "  ok" if ratio >= PAGE_RATIO_GOAL else "  BELOW"
        print(f"[{engine}] {name} / item HTML = {ratio:.2f} (goal >= {PAGE_RATIO_GOAL}){verdict}")
    return True


def measure(
    port: int, item_path: str, engine: str, threads: int, duration: float
) -> dict[str, float]:
    """Requests/s of each endpoint, one after the other, against the same server."""
    targets = [
        ("/readyz", "/readyz", "application/json", 200),
        ("item JSON", item_path, "application/json", 200),
        ("item HTML", item_path, "text/html", 200),
        ("item linkset", item_path, "application/linkset+json", 200),
        ("item 307", item_path + "?linkType=gs1:traceability", "text/html", 307),
        ("item QR PNG", "/qr" + item_path + ".png", "image/png", 200),
    ]
    rates: dict[str, float] = {}
    sources = SourceAddresses()
    for name, path, accept, expect in targets:
        load(port, path, accept, threads, 1.0, sources, expect)  # warm-up: connections, caches
        rate, failed = load(port, path, accept, threads, duration, sources, expect)
        rates[name] = rate
        note = f"  (not 200: {failed})" if failed else ""
        print(f"[{engine}] {name:12s} {rate:8.0f} req/s{note}")
    return rates


MEDIA_GOAL = 0.8
PHOTO = re.compile(r'srcset="[^"]*?(/media/[0-9a-f]{64}\.webp) \d+w"')


def bench_media(port: int, item_path: str, engine: str, threads: int, duration: float) -> None:
    """The demo item's photo (``/media/<sha256>.webp``) against a static file of the same
    server (``/static/verify.css``): requests/s of each, and their ratio (goal >= 0.8)."""
    status, body = get(port, item_path, "text/html")
    found = PHOTO.search(body.decode("utf-8", "replace")) if status == 200 else None
    if found is None:
        print(f"[{engine}] the item page shows no photo (HTTP {status}): no media figures")
        return
    rates = {}
    sources = SourceAddresses()
    for name, path, accept in (
        ("static file", "/static/verify.css", "text/css"),
        ("photo WebP", found.group(1), "image/webp"),
    ):
        load(port, path, accept, threads, 1.0, sources)  # warm-up
        rate, failed = load(port, path, accept, threads, duration, sources)
        rates[name] = rate
        note = f"  (not 200: {failed})" if failed else ""
        print(f"[{engine}] {name:12s} {rate:8.0f} req/s{note}")
    ratio = rates["photo WebP"] / rates["static file"] if rates["static file"] else 0.0
    verdict = "  ok" if ratio >= MEDIA_GOAL else "  BELOW"
    print(f"[{engine}] photo / static file = {ratio:.2f} (goal >= {MEDIA_GOAL}){verdict}")


def bench_labels(url: str, key_file: Path, public_url: str, count: int = 1000) -> None:
    """1,000 labels from the database to one PDF, as `traceapp labels` makes them."""
    import qrcode  # type: ignore[import-untyped]

    from traceapp import create_app
    from traceapp.batches.models import Batch, Item
    from traceapp.batches.services import batch_producer, issue_items
    from traceapp.cli.labels import batch_labels, render
    from traceapp.db.sessions import get_database
    from traceapp.labels.qr import encode
    from traceapp.labels.sheet import SheetLayout
    from traceapp.ledger_runtime import get_ledger
    from traceapp.producers.services import producer_key

    app = create_app({"DATABASE_URL": url, "LOG_KEY_FILE": str(key_file), "PUBLIC_URL": public_url})
    db = get_database(app)
    with db.write() as session:  # the demo's coconut cakes: top their 12 items up to 1,000
        batch = session.query(Batch).filter(Batch.lot == "QT2611A").one()
        actor = producer_key(session, batch_producer(session, batch))
        existing = session.query(Item).filter(Item.batch_id == batch.id).count()
        issue_items(
            session,
            get_ledger(app),
            actor,
            batch.public_id,
            count - existing,
            over_quantity_reason="benchmark: a 1,000-label print run on a 240-pack batch",
        )
    with db.read_sessions() as session:
        batch = session.query(Batch).filter(Batch.lot == "QT2611A").one()
        started = time.perf_counter()
        labels = batch_labels(session, batch, public_url, date.today())
        read = time.perf_counter() - started
    started = time.perf_counter()
    pdf = render(labels, SheetLayout(), progress=False)
    drawn = time.perf_counter() - started
    db.dispose()
    total = read + drawn
    verdict = "ok" if total <= LABELS_GOAL_SECONDS else "ABOVE GOAL"
    print(
        f"\n[labels] {len(labels)} labels: read {read:.2f} s + PDF {drawn:.2f} s = {total:.2f} s "
        f"(goal <= {LABELS_GOAL_SECONDS:.0f} s) {verdict}; {len(pdf) / 1e6:.1f} MB"
    )
    uris = [label.uri for label in labels[:200]]
    started = time.perf_counter()
    for uri in uris:
        encode(uri)
    ours = len(uris) / (time.perf_counter() - started)
    started = time.perf_counter()
    for uri in uris[:50]:
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        qr.add_data(uri)
        qr.make(fit=True)
    plain = 50 / (time.perf_counter() - started)
    print(f"[labels] QR matrices: encode() {ours:.0f}/s, plain qrcode {plain:.0f}/s")
    print(
        f"[labels] PDF labels/s {len(labels) / drawn:.0f} = {len(labels) / drawn / ours:.2f} x encode() rate"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} CPUs; {args.threads} client threads; {args.duration:.0f} s each")
    complete = True
    for engine in args.engines.split(","):
        with tempfile.TemporaryDirectory(prefix=f"bench-{engine}-") as workdir:
            complete = bench_engine(engine, args.threads, args.duration, Path(workdir)) and complete
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
