"""``bench_domain.py --witnesses N``: single appends with and without witnesses cosigning.

N witnesses are our own witness endpoint (``POST /witness/add-checkpoint``) on N extra servers
(``traceapp serve``, each with its own SQLite database and witness key), and the pusher is
``traceapp witness push --watch``, a process of its own, as in production (docs/operations.md).
Reported: the append rate with the pusher running against the rate without it (goal: within 5%),
and the cosigning latency p99 (goal <= 2 s): from an append's commit to the first checkpoint at
or past it that the quorum cosigned, as seen by polling ``checkpoint_cosignatures`` every 25 ms.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from traceapp import migrate
from traceapp.db.sessions import Database
from traceapp.witness.models import StoredCosignature
from traceapp.witness.settings import create_witness_key

TRACEAPP = str(Path(sys.executable).with_name("traceapp"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url}: not ready after 60 s")


def start_witnesses(
    count: int, workdir: Path, env: dict[str, str], origin: str, log_vkey: str
) -> tuple[list[subprocess.Popen[bytes]], str]:
    """``count`` witness servers; their processes and the TRACEAPP_WITNESSES value."""
    processes, lines = [], []
    for n in range(count):
        home = workdir / f"witness{n}"
        url = f"sqlite:///{home}/witness.db"
        home.mkdir()
        migrate.upgrade(url)
        signer = create_witness_key(home / "witness.key", f"witness{n}.bench.example/w")
        port = _free_port()
        wenv = dict(
            env,
            TRACEAPP_DATABASE_URL=url,
            TRACEAPP_INSTANCE_PATH=str(home),
            TRACEAPP_WITNESS_KEY_FILE=str(home / "witness.key"),
            TRACEAPP_WITNESS_LOGS=f"{origin} {log_vkey}",
        )
        command = [TRACEAPP, "serve", "--bind", f"127.0.0.1:{port}"]
        process = subprocess.Popen(
            [*command, "--workers", "1"], env=wenv, stdout=subprocess.DEVNULL
        )
        processes.append(process)
        _wait_ready(f"http://127.0.0.1:{port}", process)
        lines.append(f"{signer.verifier.vkey} http://127.0.0.1:{port}/witness")
    return processes, "\n".join(lines)


class CosignWatch:
    """Polls the newest checkpoint size the quorum cosigned, noting when each was first seen."""

    def __init__(self, database: Database, origin: str, quorum: int) -> None:
        self.database, self.origin, self.quorum = database, origin, quorum
        self.seen: list[tuple[int, float]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = (
            select(StoredCosignature.size)
            .where(StoredCosignature.log == self.origin)
            .group_by(StoredCosignature.size)
            .having(func.count() >= self.quorum)
            .order_by(StoredCosignature.size.desc())
            .limit(1)
        )
        last = -1
        while not self.stop.wait(0.025):
            with self.database.read_sessions() as s:
                size = s.execute(query).scalar()
            if size is not None and size > last:
                last = size
                self.seen.append((size, time.perf_counter()))

    def latencies(self, commits: list[tuple[int, float]], wait: float = 30.0) -> list[float]:
        """Seconds from each commit to the first quorum-cosigned size at or past it."""
        deadline = time.monotonic() + wait
        final = commits[-1][0]
        while time.monotonic() < deadline and not any(s >= final for s, _ in self.seen):
            time.sleep(0.05)
        self.stop.set()
        self.thread.join()
        out = []
        for size, committed in commits:
            later = [t for s, t in self.seen if s >= size and t >= committed]
            out.append((min(later) if later else float("inf")) - committed)
        return out


def run(
    database: Database,
    origin: str,
    log_vkey: str,
    env: dict[str, str],
    workdir: Path,
    witnesses: int,
    appends: int,
    append_one: Callable[[int], int],
) -> None:
    """Time ``appends`` single appends without, then with, the pusher; print the ratio and p99.

    ``append_one(n)`` makes the n-th append in its own transaction and returns the log size.
    """
    begin = time.perf_counter()
    for n in range(appends):
        append_one(n)
    without = appends / (time.perf_counter() - begin)

    servers, configured = start_witnesses(witnesses, workdir, env, origin, log_vkey)
    penv = dict(env, TRACEAPP_WITNESSES=configured, TRACEAPP_WITNESS_QUORUM=str(witnesses))
    pusher = subprocess.Popen(
        [TRACEAPP, "witness", "push", "--watch"],
        env=penv,
        stdout=subprocess.DEVNULL,
    )
    watch = CosignWatch(database, origin, witnesses)
    watch.thread.start()
    try:
        # The pusher starts, takes its lease and has the current size cosigned before timing.
        current = append_one(appends)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(s >= current for s, _ in watch.seen):
            time.sleep(0.05)
        commits = []
        begin = time.perf_counter()
        for n in range(appends + 1, 2 * appends + 1):
            size = append_one(n)
            commits.append((size, time.perf_counter()))
        with_witnesses = appends / (time.perf_counter() - begin)
        latencies = sorted(watch.latencies(commits))
    finally:
        for process in (pusher, *servers):
            process.terminate()
        for process in (pusher, *servers):
            process.wait(30)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"witnesses={witnesses}: single {with_witnesses:8.0f} appends/s vs {without:8.0f} without "
        f"(ratio {with_witnesses / without:.3f}, goal >= 0.95); cosigning p99 {p99:.3f} s "
        f"(goal <= 2 s), p50 {latencies[len(latencies) // 2]:.3f} s, cores: {os.cpu_count()}"
    )
