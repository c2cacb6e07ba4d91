"""tlog-tiles: serving tiles, and `traceapp ledger publish`, next to their goals.

Run: .venv/bin/python bench/bench_tiles.py [N] [--seconds S]   (default 1,000,000 entries)

1. Serving: GET /ledger/tile/0/<n> (a full tile read from ledger_hashes, 8,192 bytes) against
   GET of a static file of the same size sent by the same Flask app (send_from_directory, what
   Flask's static route uses), each in a closed loop for S seconds in this process.
   Goal: tiles >= 0.8 x the static file's requests/s.
2. `ledger publish` (traceapp.ledger_store.publish, what the command runs) of N - 1,000 entries
   into an empty directory. Goal (scaled to 10**6 entries): <= 60 s. Run it at 10**6: at small
   N one-off costs (the first query's compilation, directories) dominate the scaled figure.
3. Incremental: 1,000 more entries appended (rows and a checkpoint, as the sequencer writes
   them), then publish again into the same directory. Goal: <= 1 s.

The log is built with the ledger library (bench_ledger.build_log) and stored with core inserts,
as in bench_audit: building it through the services would measure the services.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask, Response, send_from_directory
from sqlalchemy import Engine, insert, update

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ledger import ORIGIN, build_log

from ledger.checkpoint import Checkpoint
from ledger.entry import parse_entry
from ledger.merkle import CompactRange, leaf_hash
from ledger.signing import Signer, sign_checkpoint
from traceapp import create_app, migrate
from traceapp.db.engine import make_engine
from traceapp.db.sessions import get_database
from traceapp.ledger_store.models import LedgerCheckpoint, LedgerEntry, LedgerHash, LedgerHead
from traceapp.ledger_store.publish import publish
from traceapp.ledger_store.store import keeps_row
from traceapp.verification.ratelimit import Limit

APPENDED = 1_000


def store(
    engine: Engine, entries: list[bytes], start: int, compact: CompactRange, log_key: Signer
) -> None:
    """Rows for `entries` from seq `start`, their subtree hashes, a checkpoint, the head."""
    genesis, event = parse_entry(entries[0]), parse_entry(entries[1])
    end = len(entries) if start else len(entries) - APPENDED
    with engine.begin() as conn:
        for first in range(start, end, 20_000):
            rows, hashes = [], []
            for seq in range(first, min(end, first + 20_000)):
                data = entries[seq]
                kind = genesis if seq == 0 else event
                leaf = leaf_hash(data)
                rows.append(
                    {
                        "log": ORIGIN,
                        "seq": seq,
                        "entry": data,
                        "leaf_hash": leaf,
                        "type": kind.type,
                        "actor": kind.actor,
                    }
                )
                hashes.extend(
                    {"log": ORIGIN, "level": lv, "idx": ix, "hash": h}
                    for lv, ix, h in compact.append(leaf)
                    if keeps_row(lv)
                )
            conn.execute(insert(LedgerEntry.__table__), rows)
            conn.execute(insert(LedgerHash.__table__), hashes)
        root = compact.root()
        note = sign_checkpoint(Checkpoint(ORIGIN, end, root), log_key)
        conn.execute(
            insert(LedgerCheckpoint.__table__),
            {"log": ORIGIN, "size": end, "root_hash": root, "note": note},
        )
        head = {"size": end, "last_leaf_hash": leaf_hash(entries[end - 1]), "root_hash": root}
        if start:
            conn.execute(update(LedgerHead.__table__).values(head))
        else:
            conn.execute(insert(LedgerHead.__table__), {"log": ORIGIN, **head})


def rate(app: Flask, path: str, seconds: float) -> float:
    client = app.test_client()
    assert client.get(path).status_code == 200, path
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        # A client address per request: the /ledger rate limit (per client) is not measured.
        n = count % 65_536
        response = client.get(path, environ_base={"REMOTE_ADDR": f"10.9.{n >> 8}.{n & 255}"})
        assert response.status_code == 200 and len(response.data) == 8192, response.status_code
        count += 1
    return count / (time.perf_counter() - start)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("entries", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if args.entries < APPENDED + 256:
        parser.error(f"N must be at least {APPENDED + 256}")
    print(f"building {args.entries:,} entries ...", flush=True)
    entries, log_key, _built, _root = build_log(args.entries)
    with tempfile.TemporaryDirectory() as tmp:
        key_file = Path(tmp) / "log.key"
        key_file.write_text(log_key.to_private_key_string() + "\n")
        os.chmod(key_file, 0o600)
        url = f"sqlite:///{tmp}/tiles.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        compact = CompactRange()
        store(engine, entries, 0, compact, log_key)
        # The limiter still runs on every tile request; it just never refuses one here.
        limits = {"ledger": Limit(10**12, 60.0)}
        app = create_app(
            {
                "DATABASE_URL": url,
                "LOG_KEY_FILE": str(key_file),
                "LOG_ORIGIN": ORIGIN,
                "RATE_LIMITS": limits,
            }
        )
        static = Path(tmp) / "static"
        static.mkdir()
        (static / "tile.bin").write_bytes(os.urandom(8192))

        @app.get("/bench-static/<name>")
        def bench_static(name: str) -> Response:
            return send_from_directory(static, name)

        tiles = rate(app, "/ledger/tile/0/000", args.seconds)
        files = rate(app, "/bench-static/tile.bin", args.seconds)
        print(
            f"full tile: {tiles:,.0f} requests/s; static file of 8,192 bytes: {files:,.0f}/s; "
            f"ratio {tiles / files:.2f} (goal >= 0.8) {verdict(tiles / files >= 0.8)}"
        )

        mirror = Path(tmp) / "mirror"
        database = get_database(app)
        size = args.entries - APPENDED
        with database.snapshot_sessions() as session:
            start = time.perf_counter()
            first = publish(session, ORIGIN, mirror)
            elapsed = time.perf_counter() - start
        scaled = elapsed * 1_000_000 / size
        print(
            f"publish {size:,} entries from scratch: {elapsed:.2f} s, {first.written:,} files "
            f"({scaled:.1f} s scaled to 10^6 entries; goal <= 60 s) {verdict(scaled <= 60)}"
        )
        store(engine, entries, size, compact, log_key)
        with database.snapshot_sessions() as session:
            start = time.perf_counter()
            again = publish(session, ORIGIN, mirror)
            elapsed = time.perf_counter() - start
        print(
            f"publish after {APPENDED:,} appends: {elapsed:.3f} s, {again.written} files "
            f"(goal <= 1 s) {verdict(elapsed <= 1)}"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
