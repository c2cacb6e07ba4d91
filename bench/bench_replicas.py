"""Benchmark: item pages per second read from a streaming standby vs from the primary (issue 19).

On a PostgreSQL temp database at postgresql://postgres@127.0.0.1:5432 (created and dropped
here): `traceapp demo`, then a streaming standby of the local PostgreSQL (`pg_basebackup -R`,
tests/support/standby.py: made and removed here), then `traceapp serve --workers 2` twice, in
turns: once reading from the primary only, once with `TRACEAPP_DATABASE_REPLICA_URLS` set to
the standby. The same bounded load as bench_verify.py (N threads, one shopper per source
address) on the sample item's page as JSON, each turn `--rounds` times; it prints pages/s from
each and the ratio standby / primary measured in the same run (goal >= 0.9), and how many of the
standby turn's pages said `Traceapp-Read-From: replica`.

    .venv/bin/python bench/bench_replicas.py [--duration S] [--threads N] [--rounds R]
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench_verify import ITEM_URI, TRACEAPP, SourceAddresses, database, free_port, load, server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from support.standby import running_standby, wait_replayed  # noqa: E402

RATIO_GOAL = 0.9


def read_from(port: int, path: str) -> str:
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=("127.9.0.1", 0)
    )
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        response.read()
        return response.getheader("Traceapp-Read-From") or "primary"
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per turn")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, database("postgresql", Path(tmp)) as url:
        workdir = Path(tmp)
        port = free_port()
        env = {
            **os.environ,
            "TRACEAPP_DATABASE_URL": url,
            "TRACEAPP_LOG_KEY_FILE": str(workdir / "log.key"),
            "TRACEAPP_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "BENCH_WORKDIR": str(workdir),
            "TRACEAPP_MEDIA_DIR": str(workdir / "media"),
        }
        demo = subprocess.run(
            [TRACEAPP, "demo"], env=env, cwd=workdir, capture_output=True, text=True, check=False
        )
        if demo.returncode != 0:
            raise SystemExit(f"traceapp demo failed:\n{demo.stdout}{demo.stderr}")
        path = urlsplit(ITEM_URI.findall(demo.stdout)[0]).path
        with running_standby() as standby:
            wait_replayed(standby)
            replica_env = {
                **env,
                "TRACEAPP_DATABASE_REPLICA_URLS": standby.url(url.rsplit("/", 1)[1]),
            }
            sources = SourceAddresses()
            totals = {"primary": 0.0, "standby": 0.0}
            served: dict[str, int] = {}
            for _ in range(args.rounds):
                for name, turn_env in (("primary", env), ("standby", replica_env)):
                    with server(turn_env, port):
                        rate, failures = load(
                            port, path, "application/json", args.threads, args.duration, sources
                        )
                        where = read_from(port, path)
                    served[name] = served.get(name, 0) + (where == "replica")
                    if failures:
                        print(f"[{name}] other answers: {failures}")
                    print(f"[{name}] item JSON: {rate:.1f} pages/s (read from {where})")
                    totals[name] += rate
                    time.sleep(0.5)
    primary, standby_rate = totals["primary"] / args.rounds, totals["standby"] / args.rounds
    ratio = standby_rate / primary if primary else 0.0
    verdict = "ok" if ratio >= RATIO_GOAL else "BELOW"
    print(f"item pages/s: primary {primary:.1f}, standby {standby_rate:.1f}")
    print(f"standby / primary = {ratio:.2f} (goal >= {RATIO_GOAL})  {verdict}")
    print(
        f"standby turns whose sample page read from the replica: {served['standby']}/{args.rounds}"
    )
    return 0 if served["standby"] == args.rounds else 1


if __name__ == "__main__":
    sys.exit(main())
