"""Writes with three app hosts against one PostgreSQL primary vs one host (issue 19).

    .venv/bin/python bench/bench_hosts.py [--seconds 8] [--clients 8] [--rounds 2]

One database, one log, one producer (bench_api's ``populate``); then, in interleaved turns,
one host or three hosts (``traceapp serve``, each with its own instance directory, on
127.0.0.2-4), driven by ``--clients`` closed-loop clients doing single ``recordEvent``
mutations, spread evenly over the hosts. Every host appends to the same log through the same
head row: the sequencer is the bound, not the hosts, so three hosts should write as fast as one
(goal >= 0.9x). On one machine the hosts share its cores, so both turns run the same number of
gunicorn workers in all (``--workers``: one host with 3, three hosts with 1 each): what is
compared is one deployment split over hosts against the same one on a single host, not the
cost of more processes on two cores.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from bench_api import PG_ADMIN, RECORD_EVENT, TRACEAPP, Result, drive, env_for, graphql, populate

ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
GOAL = 0.9


def _free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(address: str, port: int) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection(address, port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"host {address}:{port} did not become ready")


def start_hosts(
    env: dict[str, str], workdir: Path, count: int, workers: int
) -> list[tuple[str, int, subprocess.Popen[bytes]]]:
    """``count`` hosts, each with a copy of the instance directory (keys, log key)."""
    hosts = []
    for number, address in enumerate(ADDRESSES[:count]):
        instance = workdir / f"host{number}"
        if not instance.exists():
            shutil.copytree(workdir / "instance", instance)
        port = _free_port(address)
        process = subprocess.Popen(
            [TRACEAPP, "serve", "--bind", f"{address}:{port}", "--workers", str(workers)],
            env={
                **env,
                "TRACEAPP_INSTANCE_PATH": str(instance),
                "TRACEAPP_LOG_KEY_FILE": str(instance / "log.key"),
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        hosts.append((address, port, process))
    for address, port, _ in hosts:
        _wait_ready(address, port)
    return hosts


def stop_hosts(hosts: list[tuple[str, int, subprocess.Popen[bytes]]]) -> None:
    for _, _, process in hosts:
        process.terminate()
    for _, _, process in hosts:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def writes(
    hosts: list[tuple[str, int, subprocess.Popen[bytes]]],
    token: str,
    items: list[str],
    seconds: float,
    clients: int,
    run_id: str,
) -> Result:
    """Closed loop of single ``recordEvent`` mutations (bench_api's ``drive``): client ``k``
    writes through host ``k mod len(hosts)``."""

    def record_event(n: int) -> tuple[str, str, bytes | None, dict[str, str]]:
        when = f"2026-11-{1 + (n // 1440) % 28:02d}T{(n // 60) % 24:02d}:{n % 60:02d}:00+07:00"
        event = {
            "type": "OBJECT_EVENT",
            "eventTime": when,
            "bizStep": "inspecting",
            "items": [items[n % len(items)]],
            "bizTransactions": [{"type": "po", "value": f"urn:bench:{run_id}:{n}"}],
        }
        body, headers = graphql(RECORD_EVENT, {"input": {"event": event}}, token)
        return "POST", "/graphql", body, headers

    targets = [(address, port) for address, port, _ in hosts]
    return drive(0, f"{len(hosts)} hosts", record_event, seconds, clients, hosts=targets)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3, help="in all, a multiple of 3")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-hosts-"))
    name = f"traceapp_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    info = psycopg.conninfo.conninfo_to_dict(PG_ADMIN)
    url = f"postgresql://{info.get('user', 'postgres')}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{name}"
    instance = workdir / "instance"
    instance.mkdir()
    env = {**env_for(url, instance), "TRACEAPP_LOG_KEY_FILE": str(instance / "log.key")}
    run_id = secrets.token_hex(3)
    rates: dict[int, list[float]] = {1: [], 3: []}
    try:
        for command in (["db", "upgrade"], ["keys", "init"]):
            subprocess.run([TRACEAPP, *command], env=env, check=True, capture_output=True)
        fixture = populate(env)
        print(
            f"PostgreSQL, {args.clients} clients doing recordEvent, {args.workers} workers in all, "
            f"{args.seconds:.0f} s a turn; "
            f"load {os.getloadavg()[0]:.1f}"
        )
        for round_ in range(args.rounds):
            for count in (1, 3) if round_ % 2 == 0 else (3, 1):
                hosts = start_hosts(env, workdir, count, args.workers // count)
                try:
                    writes(hosts, fixture.token, fixture.item_ids, 1.0, args.clients, run_id)
                    result = writes(
                        hosts, fixture.token, fixture.item_ids, args.seconds, args.clients, run_id
                    )
                finally:
                    stop_hosts(hosts)
                rates[count].append(result.rate)
                print(
                    f"  round {round_ + 1}, {count} host(s): {result.rate:7.1f} writes/s, "
                    f"p99 {result.pct(0.99):6.1f} ms, {result.failures} failed"
                )
        one, three = sum(rates[1]) / len(rates[1]), sum(rates[3]) / len(rates[3])
        verdict = "ok" if three / one >= GOAL else "BELOW"
        print(
            f"writes/s: one host {one:.1f}, three hosts {three:.1f}; three / one = "
            f"{three / one:.2f} (goal >= {GOAL}) {verdict}; load {os.getloadavg()[0]:.1f}, cores {os.cpu_count()}"
        )
        return 0 if three / one >= GOAL else 1
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
