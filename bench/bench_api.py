"""GraphQL API throughput under `traceapp serve` (gunicorn, 2 workers) on SQLite and PostgreSQL.

For each engine: a fresh database (`traceapp db upgrade`, `traceapp keys init`), a producer with a
product, a batch and items made through the services, a producer token; then the server as a
subprocess on a free port, driven by a bounded closed-loop load generator (threads, http.client
keep-alive). Measured in the same run: single `recordEvent` mutations, `verifyItem` queries, a
trivial `{ __typename }` query and `/readyz` (a plain Flask endpoint doing one database read).

Goals: ≥ 400 mutations/s on SQLite, ≥ 300 on PostgreSQL, p99 ≤ 50 ms; verifyItem ≥ 0.5 x /readyz.
Usage: .venv/bin/python bench/bench_api.py [--seconds 8] [--clients 8] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from bench_verify import REQUESTS_PER_CLIENT, SourceAddresses
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
TRACEAPP = str(ROOT / ".venv" / "bin" / "traceapp")
PG_ADMIN = os.environ.get(
    "TRACEAPP_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PUBLIC_URL = "https://truyxuat.ocop.example.vn"

RECORD_EVENT = """mutation($input: RecordEventInput!) { recordEvent(input: $input) {
  ledgerIndex userErrors { code message } } }"""
VERIFY_ITEM = """query($code: String!) { verifyItem(code: $code) { found verification {
  product { nameVi } ocop { stars status } journey { bizStep } warnings { code }
  proofs { allVerified } } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(database_url: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEAPP_")}
    env.update(
        TRACEAPP_DATABASE_URL=database_url,
        TRACEAPP_LOG_KEY_FILE=str(workdir / "log.key"),
        TRACEAPP_INSTANCE_PATH=str(workdir),
        TRACEAPP_PUBLIC_URL=PUBLIC_URL,
        TRACEAPP_LOG_ORIGIN="truyxuat.ocop.example.vn/ledger",
    )
    return env


@dataclass
class Fixture:
    token: str
    item_ids: list[str]
    verify_code: str


def populate(env: dict[str, str]) -> Fixture:
    """A producer, product, farm, batch and items through the services, and a producer token."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("TRACEAPP_")})
    from traceapp import create_app
    from traceapp.api.ids import encode_global_id
    from traceapp.auth.services import create_token
    from traceapp.batches.models import Item
    from traceapp.batches.services import BatchInput, create_batch, issue_items
    from traceapp.db.sessions import get_database
    from traceapp.keys.services import admin_key_name
    from traceapp.ledger_runtime import get_ledger
    from traceapp.locations.services import LocationInput, register_location
    from traceapp.producers.services import ProducerInput, producer_key, register_producer
    from traceapp.products.services import (
        CertificationInput,
        ProductInput,
        grant_certification,
        register_product,
    )

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
        product = register_product(
            s, ledger, key, ProductInput(producer, "8938505974019", "Trà Shan tuyết", "drinks")
        ).public_ids[0]
        grant_certification(
            s,
            ledger,
            admin,
            CertificationInput(
                product,
                "OCOP",
                "UBND tỉnh Lào Cai",
                "1/QĐ",
                date(2025, 3, 1),
                stars=4,
                issuer_level="province",
            ),
        )
        farm = register_location(s, ledger, key, LocationInput(producer, "F1", "Đồi chè", "farm"))
        batch = create_batch(
            s,
            ledger,
            key,
            BatchInput(product, "L1", date(2026, 11, 2), origin_location=farm.public_ids[0]),
        ).public_ids[0]
        items = issue_items(s, ledger, key, batch, 50).receipt.public_ids
        token = create_token(s, "producer", producer)[1]
    with database.read_sessions() as s:
        serial = s.execute(select(Item.serial).where(Item.public_id == items[0])).scalar_one()
    database.dispose()
    return Fixture(
        token=token,
        item_ids=[encode_global_id("Item", i) for i in items],
        verify_code=f"{PUBLIC_URL}/01/08938505974019/10/L1/21/{serial}",
    )


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    failures: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


Request = Callable[[int], tuple[str, str, bytes | None, dict[str, str]]]


# One sequence for the whole run: the warm-up and the measurement must not repeat an event.
_REQUEST_NUMBERS = itertools.count()


def drive(
    port: int,
    name: str,
    make: Request,
    seconds: float,
    clients: int,
    sources: SourceAddresses | None = None,
    hosts: Sequence[tuple[str, int]] = (),
) -> Result:
    """Closed loop: ``clients`` threads, each with one keep-alive connection, for ``seconds``.

    With ``sources``, each connection stands for one shopper (a fresh loopback address, at most
    REQUESTS_PER_CLIENT requests): verifyItem shares the pages' per-client rate limit. With
    ``hosts`` (address, port), client ``k`` talks to host ``k mod len(hosts)`` instead.
    """
    counter = _REQUEST_NUMBERS
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    targets = list(hosts) or [("127.0.0.1", port)]

    def connect(k: int) -> http.client.HTTPConnection:
        source = (sources.take(), 0) if sources is not None else None
        address, to = targets[k % len(targets)]
        return http.client.HTTPConnection(address, to, timeout=30, source_address=source)

    def worker(k: int) -> None:
        conn = connect(k)
        mine: list[float] = []
        bad = 0
        sent = 0
        while time.perf_counter() < stop:
            if sources is not None and sent == REQUESTS_PER_CLIENT:
                conn.close()
                conn, sent = connect(k), 0
            sent += 1
            method, path, body, headers = make(next(counter))
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn, sent = connect(k), 0
                bad += 1
                continue
            mine.append(time.perf_counter() - started)
            if response.status != 200 or b'"errors"' in data or b'"userErrors":[{' in data:
                bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return Result(name, len(latencies), elapsed, latencies, failures[0])


def graphql(
    query: str, variables: dict[str, Any], token: str | None = None
) -> tuple[bytes, dict[str, str]]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return json.dumps({"query": query, "variables": variables}).encode(), headers


def run_engine(engine: str, seconds: float, clients: int) -> dict[str, Result]:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-api-{engine}-"))
    pg_name = None
    if engine == "sqlite":
        url = f"sqlite:///{workdir / 'traceapp.db'}"
    else:
        pg_name = f"traceapp_bench_{secrets.token_hex(4)}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')  # type: ignore[arg-type]
        info = psycopg.conninfo.conninfo_to_dict(PG_ADMIN)
        url = f"postgresql://{info.get('user', 'postgres')}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{pg_name}"
    env = env_for(url, workdir)
    server = None
    try:
        for args in (["db", "upgrade"], ["keys", "init"]):
            subprocess.run([TRACEAPP, *args], env=env, check=True, capture_output=True)
        fixture = populate(env)
        port = free_port()
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
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("server did not become ready")
            time.sleep(0.2)
        run_id = secrets.token_hex(3)

        def record_event(n: int) -> tuple[str, str, bytes | None, dict[str, str]]:
            # A distinct event each time (its CBV hash is its identity): the minute varies.
            minute = n % 60
            hour = (n // 60) % 24
            day = 1 + (n // 1440) % 28
            event = {
                "type": "OBJECT_EVENT",
                "eventTime": f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:00+07:00",
                "bizStep": "inspecting",
                "items": [fixture.item_ids[n % len(fixture.item_ids)]],
                "bizTransactions": [{"type": "po", "value": f"urn:bench:{run_id}:{n}"}],
            }
            body, headers = graphql(RECORD_EVENT, {"input": {"event": event}}, fixture.token)
            return "POST", "/graphql", body, headers

        def verify(_n: int) -> tuple[str, str, bytes | None, dict[str, str]]:
            body, headers = graphql(VERIFY_ITEM, {"code": fixture.verify_code})
            return "POST", "/graphql", body, headers

        def typename(_n: int) -> tuple[str, str, bytes | None, dict[str, str]]:
            body, headers = graphql("{ __typename }", {})
            return "POST", "/graphql", body, headers

        def readyz(_n: int) -> tuple[str, str, bytes | None, dict[str, str]]:
            return "GET", "/readyz", None, {}

        results = {}
        for name, make in (
            ("recordEvent", record_event),
            ("verifyItem", verify),
            ("__typename", typename),
            ("/readyz", readyz),
        ):
            sources = SourceAddresses() if name == "verifyItem" else None
            drive(port, name, make, 1.0, clients, sources)  # warm-up
            results[name] = drive(port, name, make, seconds, clients, sources)
        return results
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


GOALS = {"sqlite": 400.0, "postgresql": 300.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    ok = True
    for engine in args.engines.split(","):
        results = run_engine(engine, args.seconds, args.clients)
        print(
            f"\n== {engine}: traceapp serve --workers 2, {args.clients} clients, {args.seconds:.0f} s each"
        )
        print(f"{'operation':<14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'failed':>8}")
        for r in results.values():
            print(
                f"{r.name:<14}{r.rate:>10.0f}{r.pct(0.5):>10.1f}{r.pct(0.99):>10.1f}{r.failures:>8}"
            )
        mutation, verify = results["recordEvent"], results["verifyItem"]
        ready, trivial = results["/readyz"], results["__typename"]
        print(f"verifyItem / readyz       = {verify.rate / ready.rate:.2f}  (goal ≥ 0.5)")
        print(f"__typename / readyz       = {trivial.rate / ready.rate:.2f}")
        print(f"recordEvent / __typename  = {mutation.rate / trivial.rate:.2f}")
        checks = {
            f"recordEvent ≥ {GOALS[engine]:.0f}/s": mutation.rate >= GOALS[engine],
            "recordEvent p99 ≤ 50 ms": mutation.pct(0.99) <= 50,
            "verifyItem ≥ 0.5 x readyz": verify.rate >= 0.5 * ready.rate,
            "no failed requests": all(r.failures == 0 for r in results.values()),
        }
        for label, passed in checks.items():
            print(f"  [{'ok' if passed else 'MISS'}] {label}")
            ok &= passed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
