"""The producer console under `traceapp serve` (gunicorn, 2 workers), against GraphQL doing the
same work, in one run, on SQLite and PostgreSQL.

For each engine: a fresh database (`traceapp db upgrade`, `traceapp keys init`); a producer with
products, places, batches, items and past events made through the services; console accounts (an
owner and staff, argon2id passwords) and a producer API token. The server runs as a subprocess on
a free port. Each of the clients signs in over HTTP like a browser (the login form with its CSRF
token, a real server-side session cookie) and then loops over one *round of work*:

  console: dashboard, products, places, batches, a batch's log, the record-event form, and the
           form sent (CSRF, idempotency key, a whole-batch step) -> 303
  GraphQL: the dashboard's counts, products, places, the producer's batches, the batch's events,
           and `recordEvent` of the same whole-batch step (the producer token)

Measured in the same run: each page's and each operation's latency, console page p99 (every
console request), and rounds per second through each door. Goals: console page p99 <= 100 ms;
console rounds/s >= 0.5 x GraphQL rounds/s.

Usage: .venv/bin/python bench/bench_console.py [--seconds 8] [--clients 8] [--products 12]
       [--places 6] [--batches 40] [--items 200] [--history 300] [--engines sqlite,postgresql]
A smoke run: --seconds 1 --clients 2 --products 2 --places 2 --batches 3 --items 5 --history 5
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from bench_api import PG_ADMIN, TRACEAPP, env_for, free_port, graphql

VIETNAM = timezone(timedelta(hours=7))
PASSWORD = "chè-shan-tuyết-bản-mế-2026"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
# One sequence for the run: every recorded step has its own minute (its CBV hash is its identity).
_STEPS = itertools.count()
_FIRST_STEP = datetime(2026, 1, 1, 6, 0, tzinfo=VIETNAM)

# GraphQL has no batches-by-producer filter: its batch list is the first product's (less work
# than the console's list of all the producer's batches, so the ratio is not flattered).
DASHBOARD = """query($producer: ID!, $product: ID!) {
  products(producer: $producer, first: 1) { totalCount }
  locations(producer: $producer, first: 1) { totalCount }
  batches(product: $product, first: 1) { totalCount }
  recalls(first: 1) { totalCount } }"""
PRODUCTS = """query($producer: ID!) { products(producer: $producer, first: 100) {
  nodes { id gtin nameVi nameEn group photo { sha256 } } } }"""
PLACES = """query($producer: ID!) { locations(producer: $producer, first: 100) {
  nodes { id code gln name kind province commune street latitude longitude } } }"""
BATCHES = """query($product: ID!) { batches(product: $product, first: 100) {
  nodes { id lot productionDate expiryDate quantity unit product { nameVi } } } }"""
EVENTS = """query($batch: ID!) { events(batch: $batch, first: 100) {
  nodes { id type bizStep disposition eventTime readPoint } } }"""
RECORD = """mutation($input: RecordEventInput!) { recordEvent(input: $input) {
  ledgerIndex notices { code } userErrors { code message } } }"""


@dataclass
class World:
    producer: str
    product: str
    batch: str
    place: str
    token: str
    logins: list[str]


def populate(env: dict[str, str], sizes: argparse.Namespace) -> World:
    """The producer's catalogue and history through the services; accounts and a token."""
    import os

    os.environ.update({k: v for k, v in env.items() if k.startswith("TRACEAPP_")})
    from traceapp import create_app
    from traceapp.accounts.models import PRODUCER_OWNER, PRODUCER_STAFF
    from traceapp.accounts.services import PersonInput, create_account
    from traceapp.auth.services import create_token
    from traceapp.batches.services import BatchInput, create_batch, issue_items
    from traceapp.db.sessions import get_database
    from traceapp.events.building import EventInput, Quantity
    from traceapp.events.services import record_events
    from traceapp.keys.services import admin_key_name
    from traceapp.ledger_runtime import get_ledger
    from traceapp.locations.services import LocationInput, register_location
    from traceapp.producers.services import ProducerInput, producer_key, register_producer
    from traceapp.products.services import ProductInput, register_product

    app = create_app()
    database, ledger = get_database(app), get_ledger(app)
    with database.write() as s:
        admin = admin_key_name(s)
        producer = register_producer(
            s,
            ledger,
            admin,
            ProducerInput("cooperative", "HTX Chè Bản Mế", "Lào Cai", date(2025, 7, 1)),
        ).public_ids[0]
    with database.write() as s:
        key = producer_key(s, producer)
        products = [
            register_product(
                s, ledger, key, ProductInput(producer, _gtin(n), f"Trà Shan tuyết {n}", "drinks")
            ).public_ids[0]
            for n in range(sizes.products)
        ]
        places = [
            register_location(
                s, ledger, key, LocationInput(producer, f"P{n}", f"Đồi chè {n}", "farm")
            ).public_ids[0]
            for n in range(sizes.places)
        ]
        batches = [
            create_batch(
                s,
                ledger,
                key,
                BatchInput(
                    products[n % len(products)],
                    f"L{n}",
                    date(2025, 11, 2),
                    quantity="10000",
                    unit="kg",
                    origin_location=places[n % len(places)],
                ),
            ).public_ids[0]
            for n in range(sizes.batches)
        ]
        issue_items(s, ledger, key, batches[0], sizes.items)
        past = [
            EventInput(
                type="ObjectEvent",
                event_time=datetime(2025, 11, 3, tzinfo=VIETNAM) + timedelta(minutes=n),
                biz_step="inspecting",
                quantities=[Quantity(batches[n % len(batches)])],
                read_point=places[n % len(places)],
            )
            for n in range(sizes.history)
        ]
        if past:
            record_events(s, ledger, key, past)
        logins = []
        for n in range(sizes.clients):
            role = PRODUCER_OWNER if n == 0 else PRODUCER_STAFF
            login = f"member{n}@example.vn"
            create_account(s, role, producer, PersonInput(f"Thành viên {n}", login, None, PASSWORD))
            logins.append(login)
        token = create_token(s, "producer", producer)[1]
    database.dispose()
    return World(producer, products[0], batches[0], places[0], token, logins)


def _gtin(n: int) -> str:
    body = f"893850597{n:03d}"
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _when() -> datetime:
    """A distinct past minute for each recorded step of the run."""
    return _FIRST_STEP + timedelta(minutes=next(_STEPS))


@dataclass
class Timings:
    by_name: dict[str, list[float]] = field(default_factory=dict)
    rounds: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, name: str, seconds: float) -> None:
        self.by_name.setdefault(name, []).append(seconds)

    def merge(self, other: Timings) -> None:
        for name, values in other.by_name.items():
            self.by_name.setdefault(name, []).extend(values)
        self.rounds += other.rounds
        self.failures.extend(other.failures)

    def every(self) -> list[float]:
        return [s for values in self.by_name.values() for s in values]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


class Browser:
    """One signed-in person: a keep-alive connection and the console's cookies."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        headers = {"Accept-Language": "vi"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie, _, _ = value.partition(";")
                key, _, content = cookie.partition("=")
                self.cookies[key.strip()] = content.strip()
        return response.status, text, dict(response.getheaders())

    def sign_in(self, login: str) -> None:
        status, page, _ = self.request("GET", "/console/login")
        csrf = _CSRF.search(page)
        assert status == 200 and csrf is not None, status
        form = {"login": login, "password": PASSWORD, "csrf_token": csrf.group(1)}
        status, _, headers = self.request("POST", "/console/login", form)
        if status != 303 or "ocop_session" not in self.cookies:
            raise RuntimeError(f"sign-in of {login} failed: {status} {headers}")


Step = Callable[[Timings], None]


def console_round(browser: Browser, world: World) -> Callable[[Timings], None]:
    batch = world.batch
    pages = (
        ("dashboard", "/console/"),
        ("products", "/console/products"),
        ("places", "/console/places"),
        ("batches", "/console/batches"),
        ("batch log", f"/console/batches/{batch}/events"),
    )

    def timed(timings: Timings, name: str, method: str, path: str, **kw: Any) -> tuple[int, str]:
        started = time.perf_counter()
        status, text, _ = browser.request(method, path, **kw)
        timings.add(name, time.perf_counter() - started)
        return status, text

    def one(timings: Timings) -> None:
        for name, path in pages:
            status, _ = timed(timings, name, "GET", path)
            if status != 200:
                timings.failures.append(f"{name}: {status}")
        path = f"/console/batches/{batch}/events/new"
        status, form = timed(timings, "event form", "GET", path)
        csrf, key = _CSRF.search(form), _KEY.search(form)
        if status != 200 or csrf is None or key is None:
            timings.failures.append(f"event form: {status}")
            return
        sent = {
            "csrf_token": csrf.group(1),
            "idempotency_key": key.group(1),
            "step": "inspect",
            "when": _when().strftime("%Y-%m-%dT%H:%M"),
            "place": world.place,
            "scope": "batch",
            "codes": "",
        }
        status, text = timed(timings, "record event", "POST", path, form=sent)
        if status != 303:
            timings.failures.append(f"record event: {status} {text[:200]}")
        timings.rounds += 1

    return one


def graphql_round(conn: http.client.HTTPConnection, world: World) -> Callable[[Timings], None]:
    from traceapp.api.ids import encode_global_id

    producer = encode_global_id("Producer", world.producer)
    product = encode_global_id("Product", world.product)
    batch = encode_global_id("Batch", world.batch)
    place = encode_global_id("Location", world.place)
    reads = (
        ("dashboard", DASHBOARD, {"producer": producer, "product": product}),
        ("products", PRODUCTS, {"producer": producer}),
        ("places", PLACES, {"producer": producer}),
        ("batches", BATCHES, {"product": product}),
        ("batch events", EVENTS, {"batch": batch}),
    )

    def post(timings: Timings, name: str, query: str, variables: dict[str, Any]) -> None:
        body, headers = graphql(query, variables, world.token)
        started = time.perf_counter()
        conn.request("POST", "/graphql", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        timings.add(name, time.perf_counter() - started)
        if response.status != 200 or b'"errors"' in data or b'"userErrors":[{' in data:
            timings.failures.append(f"{name}: {response.status} {data[:200]!r}")

    def one(timings: Timings) -> None:
        for name, query, variables in reads:
            post(timings, name, query, variables)
        event = {
            "type": "OBJECT_EVENT",
            "eventTime": _when().isoformat(),
            "bizStep": "inspecting",
            "disposition": "conformant",
            "quantities": [{"batch": batch}],
            "readPoint": place,
            "bizLocation": place,
        }
        post(timings, "recordEvent", RECORD, {"input": {"event": event}})
        timings.rounds += 1

    return one


def drive(rounds: list[Callable[[Timings], None]], seconds: float) -> tuple[Timings, float]:
    """Closed loop: one thread per client, each doing rounds until the time is up."""
    total = Timings()
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(one: Callable[[Timings], None]) -> None:
        mine = Timings()
        while time.perf_counter() < stop:
            try:
                one(mine)
            except (OSError, http.client.HTTPException) as exc:
                mine.failures.append(repr(exc))
                break
        with lock:
            total.merge(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(one,)) for one in rounds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total, time.perf_counter() - started


def _start_database(engine: str, workdir: Path) -> tuple[str, str | None]:
    if engine == "sqlite":
        return f"sqlite:///{workdir / 'traceapp.db'}", None
    name = f"traceapp_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    info = psycopg.conninfo.conninfo_to_dict(PG_ADMIN)
    user, host = info.get("user", "postgres"), info.get("host", "127.0.0.1")
    return f"postgresql://{user}@{host}:{info.get('port', 5432)}/{name}", name


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [TRACEAPP, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        if time.time() > deadline:
            server.terminate()
            raise RuntimeError("server did not become ready")
        time.sleep(0.2)


def run_engine(engine: str, sizes: argparse.Namespace) -> tuple[Timings, float, Timings, float]:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-console-{engine}-"))
    url, pg_name = _start_database(engine, workdir)
    # The console's cookies are Secure only behind https; the bench speaks plain HTTP.
    env = {**env_for(url, workdir), "TRACEAPP_PUBLIC_URL": "http://127.0.0.1"}
    server = None
    try:
        for args in (["db", "upgrade"], ["keys", "init"]):
            subprocess.run([TRACEAPP, *args], env=env, check=True, capture_output=True)
        world = populate(env, sizes)
        port = free_port()
        server = _serve(env, port)
        browsers = [Browser(port) for _ in world.logins]
        for browser, login in zip(browsers, world.logins, strict=True):
            browser.sign_in(login)
        console = [console_round(b, world) for b in browsers]
        warm = min(1.0, sizes.seconds)
        drive(console, warm)
        console_t, console_s = drive(console, sizes.seconds)
        # Opened now: the server closes a keep-alive connection left idle through the console's turn.
        connections = [
            http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in world.logins
        ]
        api = [graphql_round(c, world) for c in connections]
        drive(api, warm)
        api_t, api_s = drive(api, sizes.seconds)
        return console_t, console_s, api_t, api_s
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        if pg_name is not None:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')  # type: ignore[arg-type]


def report(engine: str, sizes: argparse.Namespace) -> bool:
    console, console_s, api, api_s = run_engine(engine, sizes)
    print(
        f"\n== {engine}: traceapp serve --workers 2, {sizes.clients} signed-in clients, "
        f"{sizes.seconds:g} s per door; {sizes.products} products, {sizes.places} places, "
        f"{sizes.batches} batches, {sizes.items} items, {sizes.history} past events"
    )
    print(f"{'request':<24}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}")
    for label, timings in (("console", console), ("graphql", api)):
        for name, values in timings.by_name.items():
            print(f"{label + ' ' + name:<24}{len(values):>8}{pct(values, 0.5):>10.1f}"
                  f"{pct(values, 0.99):>10.1f}")  # fmt: skip
    page_p99 = pct(console.every(), 0.99)
    console_rate, api_rate = console.rounds / console_s, api.rounds / api_s
    ratio = console_rate / api_rate if api_rate else float("nan")
    print(
        f"console page p99          = {page_p99:.1f} ms  (limit 100 ms; ratio {page_p99 / 100:.2f})"
    )
    print(f"console rounds/s          = {console_rate:.1f}")
    print(f"GraphQL rounds/s          = {api_rate:.1f}")
    print(f"console / GraphQL         = {ratio:.2f}  (goal ≥ 0.5)")
    failures = console.failures + api.failures
    for failure in failures[:5]:
        print(f"  failed: {failure}")
    checks = {
        "console page p99 ≤ 100 ms": page_p99 <= 100,
        "console ≥ 0.5 x GraphQL for the same work": ratio >= 0.5,
        "no failed requests": not failures,
    }
    for label, passed in checks.items():
        print(f"  [{'ok' if passed else 'MISS'}] {label}")
    return all(checks.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--products", type=int, default=12)
    parser.add_argument("--places", type=int, default=6)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--history", type=int, default=300, help="past events before the run")
    parser.add_argument("--engines", default="sqlite,postgresql")
    sizes = parser.parse_args()
    if min(sizes.products, sizes.places, sizes.batches, sizes.items, sizes.clients) < 1:
        parser.error("every size must be at least 1")
    ok = True
    for engine in sizes.engines.split(","):
        ok &= report(engine, sizes)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
