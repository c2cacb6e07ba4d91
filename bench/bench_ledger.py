"""Benchmark of the ledger library against the raw limits measured in the same run.

Run: .venv/bin/python bench/bench_ledger.py [N] [--jobs J]

Single-core figures are per CPU second (time.process_time), so other work on the machine
skews them little; verify-log is given per wall-clock second and, from the CPU time of the
parent and its workers, as the rate the cores would give if nothing else ran.

1. Raw limits, one core: Ed25519 sign/s and verify/s (`cryptography`), SHA-256/s of 300-byte
   inputs, `rfc8785.dumps`/s of a typical entry. Verify/s is measured again right before
   verify-log and the better of the two is the limit: other work on the machine slows it.
2. Building: entries made per second (canonical statement message, Ed25519 signature,
   canonical entry, leaf hash, RFC 6962 compact range), one core.
   Goal: >= 0.6 x the raw JCS + sign + SHA-256 pipeline.
3. verify-log: entries per second verifying an export of N entries (default 200,000) with
   every core, the path `python -m ledger verify-log` takes. Goal: >= 0.8 x cores x raw
   verify/s. The work per entry is constant, so the rate holds for any N (memory stays flat:
   the export is streamed); a larger N only takes longer.
4. Inclusion proofs from a MemoryHashStore of 10**6 leaves. Goal: <= 1 ms each.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import random
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.checkpoint import Checkpoint
from ledger.entry import GENESIS_PREV, statement_message
from ledger.export import decode_entry_lines, read_export, write_export
from ledger.fast.scanner import EntryScanner
from ledger.fast.verify import available_cores
from ledger.fast.verify import verify_export as verify_export_file
from ledger.merkle import CompactRange, leaf_hash
from ledger.registry import KEY_REGISTERED
from ledger.signing import Signer, build_entry, format_recorded, sign_checkpoint
from ledger.tree_store import MemoryHashStore, inclusion_proof

ORIGIN = "truyxuat.ocop.example.vn/log"
START = datetime(2026, 11, 28, 14, 42, 43, 123000, tzinfo=UTC)


def typical_statement(number: int) -> dict[str, Any]:
    """An `event.recorded` statement of the size the application writes (~300 bytes)."""
    return {
        "eventID": f"ni:///sha-256;{number:064x}?ver=CBV2.0",
        "eventType": "ObjectEvent",
        "eventTime": "2026-11-28T14:42:43.123Z",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "epcList": [f"https://truyxuat.ocop.example.vn/01/08934567000013/10/L01/21/{number}"],
        "readPoint": "urn:epc:id:sgln:8934567.00001.0",
    }


def rate(label: str, count: int, work: Callable[[int], object]) -> float:
    """Calls per CPU second of `work(i)` for i in range(count)."""
    start = time.process_time()
    for i in range(count):
        work(i)
    per_second = count / (time.process_time() - start)
    print(f"  {label:<44} {per_second:>12,.0f} /s")
    return per_second


def raw_limits(samples: int) -> dict[str, float]:
    print("Raw limits (one core, same process):")
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    messages = [os.urandom(300) for _ in range(samples)]
    signatures = [key.sign(m) for m in messages]
    statement = {"actor": "x+01234567", "statement": typical_statement(7), "type": "event.recorded"}
    return {
        "sign": rate("Ed25519 sign (cryptography)", samples, lambda i: key.sign(messages[i])),
        "verify": rate(
            "Ed25519 verify (cryptography)",
            samples,
            lambda i: public.verify(signatures[i], messages[i]),
        ),
        "sha256": rate(
            "SHA-256 of 300 bytes", samples * 5, lambda i: hashlib.sha256(messages[i % samples])
        ),
        "jcs": rate("rfc8785.dumps of a statement", samples, lambda i: rfc8785.dumps(statement)),
    }


def build_log(size: int) -> tuple[list[bytes], Signer, float, bytes]:
    """A log of `size` entries: a genesis admin, then events it signs.

    Returns the entries, the log key, entries built per second and the tree root.
    """
    admin = Signer.from_seed("truyxuat.ocop.example.vn/admin", bytes([1]) * 32)
    genesis_statement = {"vkey": admin.vkey, "role": "admin", "producer": None}
    compact = CompactRange()
    entries: list[bytes] = []
    prev = GENESIS_PREV
    start = time.process_time()
    for seq in range(size):
        kind, statement = (
            (KEY_REGISTERED, genesis_statement)
            if seq == 0
            else ("event.recorded", typical_statement(seq))
        )
        sig = admin.sign(statement_message(admin.key_name, kind, statement))
        recorded = format_recorded(START + timedelta(milliseconds=seq))
        data = build_entry(ORIGIN, seq, prev, recorded, kind, admin.key_name, statement, sig)
        prev = leaf_hash(data)
        compact.append(prev)
        entries.append(data)
    per_second = size / (time.process_time() - start)
    log_key = Signer.from_seed(ORIGIN, bytes([2]) * 32)
    return entries, log_key, per_second, compact.root()


def parse_rate(entries: list[bytes]) -> float:
    """Entries per second through the verifier's own per-entry checks but the signature, one core.

    Not a raw limit but the library's cost besides the Ed25519 check: what a worker does for
    every entry of an export (ledger.fast.batch.check_batch): decode its line, check it with
    ledger.fast.scanner.EntryScanner (canonical form, fields, the statement message) and hash its
    leaf. So it bounds what all cores can verify.
    """
    sample = entries[1 : 1 + 5_000]
    lines = b"".join(
        b'{"index":%d,"entry":"%s"}\n' % (i, base64.b64encode(data))
        for i, data in enumerate(sample, 1)
    )
    scanner = EntryScanner()
    prevs = [base64.b64encode(leaf_hash(data)) for data in entries[: len(sample)]]
    scanner.scan(sample[0], prevs[0], 1)  # learn the log, type and actor
    start = time.process_time()
    decoded, error = decode_entry_lines(lines, 1)
    for i, data in enumerate(decoded):
        scanner.scan(data, prevs[i], i + 1)
        leaf_hash(data)
    per_second = len(sample) / (time.process_time() - start)
    assert error is None and len(decoded) == len(sample)
    print(f"  {'entry checks but the signature (ledger)':<44} {per_second:>12,.0f} /s")
    return per_second


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have exited (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def verify_export(
    entries: list[bytes], log_key: Signer, root: bytes, jobs: int
) -> tuple[float, float]:
    """Write the export, then verify it as verify-log does.

    Returns (entries per wall-clock second, CPU seconds per entry over parent and workers).
    """
    checkpoint = sign_checkpoint(Checkpoint(ORIGIN, len(entries), root), log_key)
    vkey = log_key.verifier.vkey
    size = len(entries)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "ledger.jsonl")
        with open(path, "wb") as fp:
            write_export(fp, checkpoint, vkey, enumerate(entries))
        entries.clear()  # the verifier reads the file, as verify-log does
        start, cpu_start = time.perf_counter(), cpu_seconds()
        with open(path, "rb") as fp:
            result = verify_export_file(read_export(fp), jobs=jobs)
        elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    assert result.root == root and result.size == size
    return size / elapsed, cpu / size


def proof_time(leaves: int, proofs: int) -> float:
    """Mean seconds per inclusion proof at `leaves` leaves from a MemoryHashStore."""
    store = MemoryHashStore()
    compact = CompactRange()
    for i in range(leaves):
        store.put_many(compact.append(hashlib.sha256(i.to_bytes(8, "big")).digest()))
    indices = [random.randrange(leaves) for _ in range(proofs)]
    start = time.process_time()
    for index in indices:
        inclusion_proof(store, index, leaves)
    return (time.process_time() - start) / proofs


def report(label: str, figure: float, limit: float, goal: float, unit: str = "/s") -> None:
    ratio = figure / limit
    verdict = "meets" if ratio >= goal else "BELOW"
    print(
        f"  {label:<30} {figure:>10,.0f} {unit}  limit {limit:>10,.0f} {unit}  "
        f"ratio {ratio:.2f} ({verdict} goal {goal})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("entries", nargs="?", type=int, default=200_000)
    parser.add_argument("--jobs", type=int, default=available_cores())
    parser.add_argument("--proof-leaves", type=int, default=10**6)
    args = parser.parse_args()

    print(f"{available_cores()} cores; load average {os.getloadavg()[0]:.2f} before the run")
    raw = raw_limits(5_000)
    pipeline = 1 / (1 / raw["jcs"] + 1 / raw["sign"] + 1 / raw["sha256"])
    print(f"  {'raw JCS + sign + SHA-256 pipeline':<44} {pipeline:>12,.0f} /s")

    print(f"\nBuilding {args.entries:,} entries (one core):")
    entries, log_key, built, root = build_log(args.entries)
    report("entries built/s", built, pipeline, 0.6)

    print(f"\nverify-log of {args.entries:,} entries on {args.jobs} worker(s):")
    # Again, right before: other work on the machine slows the raw rate too, and a slowed
    # limit would flatter the ratio. The best of the run is the limit.
    key = Ed25519PrivateKey.generate()
    messages = [os.urandom(300) for _ in range(5_000)]
    signatures = [key.sign(message) for message in messages]
    public = key.public_key()
    again = rate(
        "Ed25519 verify (cryptography), again",
        len(messages),
        lambda i: public.verify(signatures[i], messages[i]),
    )
    raw["verify"] = max(raw["verify"], again)
    parsed = parse_rate(entries)
    verified, cpu_per_entry = verify_export(entries, log_key, root, args.jobs)
    limit = args.jobs * raw["verify"]
    report("entries verified/s (wall)", verified, limit, 0.8)
    capacity = args.jobs / cpu_per_entry
    report("same, from CPU time", capacity, limit, 0.8)
    print(
        f"  CPU per entry {cpu_per_entry * 1e6:,.0f} us (parent + workers); the cores were "
        f"{verified * cpu_per_entry / args.jobs:.0%} ours"
    )
    ceiling = args.jobs / (1 / raw["verify"] + 1 / parsed)
    print(
        f"  with those checks counted, {args.jobs} cores verify at most {ceiling:,.0f} /s "
        f"(= {ceiling / limit:.2f} of the limit): wall ratio {verified / ceiling:.2f}, "
        f"CPU ratio {capacity / ceiling:.2f} of that ceiling"
    )

    print(f"\nInclusion proofs at {args.proof_leaves:,} leaves (MemoryHashStore):")
    seconds = proof_time(args.proof_leaves, 20_000)
    print(f"  mean {seconds * 1e6:,.1f} us per proof; goal <= 1000 us; ratio {seconds * 1e3:.3f}")
    print(f"\nload average {os.getloadavg()[0]:.2f} after the run (other work skews the rates)")


if __name__ == "__main__":
    main()
