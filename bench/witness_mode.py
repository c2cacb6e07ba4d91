"""``bench_domain.py --witnesses N``: single appends with and without witnesses cosigning.

N witnesses are our own witness endpoint (``POST /witness/add-checkpoint``) on N extra servers
(``traceapp serve``, each with its own SQLite database and witness key), and the pusher is
``traceapp witness push --watch``, a process of its own, as in production (docs/operations.md).
Reported: the append rate with the pusher running against the rate without it (goal: within 5%),
in interleaved rounds (ABBA, the pusher stopped between), and the cosigning latency p99 (goal
<= 2 s): from an append's commit to the first checkpoint at or past it that the quorum cosigned,
as seen by polling ``checkpoint_cosignatures`` every 25 ms (in both phases, so the watch costs
both rates the same); also the CPU seconds the pusher and the witness servers used per second of
appending, and the load average (other work on the machine moves the figures).
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

    def wait_for(self, size: int, wait: float = 30.0) -> None:
        """Until a quorum-cosigned size at or past `size` is seen (at most `wait` seconds)."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and not any(s >= size for s, _ in self.seen):
            time.sleep(0.02)

    def latencies(self, commits: list[tuple[int, float]]) -> list[float]:
        """Seconds from each commit to the first quorum-cosigned size at or past it."""
        out = []
        for size, committed in commits:
            later = [t for s, t in self.seen if s >= size and t >= committed]
            out.append((min(later) if later else float("inf")) - committed)
        return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by processes `pids` and their children that
    exited (gunicorn workers are children of their master: read them too)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        for task in [pid, *_children(pid)]:
            try:
                fields = Path(f"/proc/{task}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime
    return total


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _start_pusher(penv: dict[str, str], interval: float | None) -> subprocess.Popen[bytes]:
    extra = [] if interval is None else ["--min-interval", str(interval)]
    return subprocess.Popen(
        [TRACEAPP, "witness", "push", "--watch", *extra], env=penv, stdout=subprocess.DEVNULL
    )


def run(
    database: Database,
    origin: str,
    log_vkey: str,
    env: dict[str, str],
    workdir: Path,
    witnesses: int,
    appends: int,
    append_one: Callable[[int], int],
    rounds: int = 3,
    min_interval: float | None = None,
) -> None:
    """Time ``appends`` single appends without and with the pusher, ``rounds`` times
    interleaved (ABBA); print each round's ratio, the overall ratio, the cosigning p99, the CPU the
    pusher and the witnesses used, and the load average.

    ``append_one(n)`` makes the n-th append in its own transaction and returns the log size.
    The cosigning watch polls in both phases, so its own cost is in both rates. The pusher is
    stopped (SIGTERM, it releases its lease) during the phases without.
    """
    servers, configured = start_witnesses(witnesses, workdir, env, origin, log_vkey)
    penv = dict(env, TRACEAPP_WITNESSES=configured, TRACEAPP_WITNESS_QUORUM=str(witnesses))
    watch = CosignWatch(database, origin, witnesses)
    watch.thread.start()
    n = 0
    totals = {"without": 0.0, "with": 0.0}
    commits: list[tuple[int, float]] = []
    cpu = 0.0
    loads = [os.getloadavg()[0]]

    def timed(count: int, committed: list[tuple[int, float]] | None = None) -> float:
        nonlocal n
        begin = time.perf_counter()
        for _ in range(count):
            size = append_one(n)
            n += 1
            if committed is not None:
                committed.append((size, time.perf_counter()))
        return time.perf_counter() - begin

    try:
        for round_number in range(rounds):
            # ABBA: odd rounds time the phase with witnesses first, so a drift (the database
            # growing, the machine's load) does not favour one side.
            with_first = round_number % 2 == 1
            without = 0.0 if with_first else timed(appends)
            pusher = _start_pusher(penv, min_interval)
            try:
                # It starts, takes its lease and has the current size cosigned before timing.
                watch.wait_for(append_one(n), wait=60)
                n += 1
                pids = [pusher.pid, *(server.pid for server in servers)]
                cpu_before = cpu_seconds(pids)
                with_witnesses = timed(appends, commits)
                cpu += cpu_seconds(pids) - cpu_before
                watch.wait_for(commits[-1][0])
            finally:
                pusher.terminate()
                pusher.wait(30)
            if with_first:
                without = timed(appends)
            totals["without"] += without
            totals["with"] += with_witnesses
            loads.append(os.getloadavg()[0])
            print(
                f"  round {round_number + 1}: {appends / with_witnesses:6.0f} appends/s with vs "
                f"{appends / without:6.0f} without (ratio {without / with_witnesses:.3f})"
            )
    finally:
        watch.stop.set()
        watch.thread.join()
        for process in servers:
            process.terminate()
        for process in servers:
            process.wait(30)
    latencies = sorted(watch.latencies(commits))
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    ratio = totals["without"] / totals["with"]
    print(
        f"witnesses={witnesses}: {rounds * appends / totals['with']:8.0f} appends/s vs "
        f"{rounds * appends / totals['without']:8.0f} without (ratio {ratio:.3f}, goal >= 0.95); "
        f"cosigning p99 {p99:.3f} s (goal <= 2 s), p50 {latencies[len(latencies) // 2]:.3f} s; "
        f"pusher + witnesses CPU {cpu / totals['with']:.2f} s per second appending; "
        f"load {min(loads):.1f}-{max(loads):.1f}, cores: {os.cpu_count()}"
    )
