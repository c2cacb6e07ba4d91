"""The auditor's tools on a large ledger, next to the raw limits measured in the same run.

Run: .venv/bin/python bench/bench_audit.py [N]   (default 1,000,000 entries)

1. Raw limits: Ed25519 verify/s on one core (x cores), of different signatures over different
   messages as in bench_ledger (see raw_verify_rate), SHA-256/s of entry-sized inputs.
2. Hash-only re-derivation: every leaf hash and the RFC 6962 root of N entries.
   Goal: < 10 s for 10**6 entries.
3. `traceapp ledger verify` (ledger_store.consistency.verify_database, without --deep) on a SQLite
   database holding the N entries, their subtree hashes and a checkpoint: entries/s.
   Goal: >= 0.8 x cores x raw verify/s.
4. `python -m ledger verify-log` (ledger.fast.verify.verify_export, as the command runs it) on the
   export of that database. Same goal.

For 3 and 4 a second line gives the rate from CPU time (this process and its pool workers):
the rate all cores would give if nothing else ran. Other work on the machine lowers the
wall-clock rate, not this one. The raw verify rate is the best of several short measurements
at the start and again before 3 and 4: other work slows it too, and a slowed limit would
flatter the ratios.

The log is built with the ledger library (bench_ledger.build_log) and stored with core
inserts: building it through the services would measure the services, not the auditor.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ledger import ORIGIN, build_log

from ledger.checkpoint import Checkpoint
from ledger.entry import parse_entry
from ledger.export import read_export, write_export
from ledger.fast.verify import available_cores, verify_export
from ledger.merkle import CompactRange, leaf_hash
from ledger.signing import sign_checkpoint
from traceapp import create_app, migrate
from traceapp.db.engine import make_engine
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.consistency import verify_database
from traceapp.ledger_store.entries import iter_entry_bytes
from traceapp.ledger_store.models import LedgerCheckpoint, LedgerEntry, LedgerHash, LedgerHead
from traceapp.ledger_store.store import keeps_row


def raw_verify_rate(samples: int = 3000, repeats: int = 3) -> float:
    """Ed25519 verify/s on one core: the best of `repeats` runs (the least disturbed one).

    Each run checks `samples` different signatures over different 300-byte messages, as
    bench_ledger does: checking one signature again and again lets the CPU learn its branches
    and runs some percent faster than any verifier can check a log's signatures.
    """
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    messages = [os.urandom(300) for _ in range(samples)]
    signed = [(key.sign(message), message) for message in messages]
    best = 0.0
    for _ in range(repeats):
        start = time.process_time()
        for signature, message in signed:
            public.verify(signature, message)
        best = max(best, samples / (time.process_time() - start))
    return best


def raw_sha256_rate(entries: list[bytes]) -> float:
    sample = entries[: min(len(entries), 200_000)]
    start = time.process_time()
    for data in sample:
        hashlib.sha256(b"\x00" + data).digest()
    return len(sample) / (time.process_time() - start)


def rederive(entries: list[bytes]) -> tuple[float, bytes]:
    start = time.perf_counter()
    compact = CompactRange()
    for data in entries:
        compact.append(leaf_hash(data))
    return time.perf_counter() - start, compact.root()


def store(database_url: str, entries: list[bytes], note: str, root: bytes) -> None:
    """The rows the sequencer would have written (one checkpoint, at the end)."""
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    compact = CompactRange()
    # build_log: a genesis, then events all signed by that admin.
    genesis, event = parse_entry(entries[0]), parse_entry(entries[1])
    with engine.begin() as conn:
        for start in range(0, len(entries), 20_000):
            chunk = entries[start : start + 20_000]
            rows, hashes = [], []
            for seq, data in enumerate(chunk, start):
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
        size = len(entries)
        conn.execute(
            insert(LedgerCheckpoint.__table__),
            {"log": ORIGIN, "size": size, "root_hash": root, "note": note},
        )
        conn.execute(
            insert(LedgerHead.__table__),
            {
                "log": ORIGIN,
                "size": size,
                "last_leaf_hash": leaf_hash(entries[-1]),
                "root_hash": root,
            },
        )
    engine.dispose()


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have exited (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def line(label: str, rate: float, limit: float, goal: float) -> None:
    ratio = rate / limit
    verdict = "met" if ratio >= goal else "NOT met"
    print(
        f"{label}: {rate:,.0f} entries/s  limit {limit:,.0f}/s  ratio {ratio:.2f} "
        f"(goal >= {goal}) {verdict}"
    )


def cpu_line(label: str, size: int, cpu: float, cores: int, limit: float, elapsed: float) -> None:
    capacity = cores * size / cpu
    print(
        f"{label}, from CPU time: {capacity:,.0f} entries/s  ratio {capacity / limit:.2f}  "
        f"({cpu / size * 1e6:,.0f} us CPU per entry; the cores were {cpu / elapsed / cores:.0%} ours)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("entries", nargs="?", type=int, default=1_000_000)
    args = parser.parse_args()
    cores = available_cores()
    verify_rate = raw_verify_rate()
    print(f"cores: {cores}; raw Ed25519 verify: {verify_rate:,.0f}/s per core")
    print(f"building {args.entries:,} entries ...", flush=True)
    entries, log_key, _built, root = build_log(args.entries)
    print(f"raw SHA-256 of entries: {raw_sha256_rate(entries):,.0f}/s")
    seconds, derived = rederive(entries)
    assert derived == root
    print(f"hash-only re-derivation of {len(entries):,} entries: {seconds:.2f} s (goal < 10 s)")

    note = sign_checkpoint(Checkpoint(ORIGIN, len(entries), root), log_key)
    with tempfile.TemporaryDirectory() as tmp:
        key_file = Path(tmp) / "log.key"
        key_file.write_text(log_key.to_private_key_string() + "\n")
        os.chmod(key_file, 0o600)
        url = f"sqlite:///{tmp}/audit.db"
        store(url, entries, note, root)
        del entries
        app = create_app({"DATABASE_URL": url, "LOG_KEY_FILE": str(key_file), "LOG_ORIGIN": ORIGIN})
        database, ledger = get_database(app), get_ledger(app)
        verify_rate = max(verify_rate, raw_verify_rate())  # again: other work may have eased
        limit = verify_rate * cores
        print(f"raw Ed25519 verify, best of the run so far: {verify_rate:,.0f}/s per core")
        with database.read_sessions() as session:
            start, cpu = time.perf_counter(), cpu_seconds()
            report = verify_database(session, ledger)
            elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        line("traceapp ledger verify", report.size / elapsed, limit, 0.8)
        cpu_line("traceapp ledger verify", report.size, cpu, cores, limit, elapsed)

        export = Path(tmp) / "ledger.jsonl"
        with database.read_sessions() as session, export.open("wb") as fp:
            write_export(fp, note, ledger.log.vkey, iter_entry_bytes(session, ORIGIN, report.size))
        database.dispose()
        verify_rate = max(verify_rate, raw_verify_rate())
        limit = verify_rate * cores
        print(f"raw Ed25519 verify, best of the run so far: {verify_rate:,.0f}/s per core")
        with export.open("rb") as fp:  # as the command reads it
            start, cpu = time.perf_counter(), cpu_seconds()
            verified = verify_export(read_export(fp))
            elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        line("python -m ledger verify-log", verified.size / elapsed, limit, 0.8)
        cpu_line("python -m ledger verify-log", verified.size, cpu, cores, limit, elapsed)


if __name__ == "__main__":
    main()
