"""Benchmark of ledger.merkle at 10**6 leaves: tree build, proofs, and raw SHA-256 for scale.

Run: .venv/bin/python bench/bench_merkle.py [--leaves N] [--proofs N]
Goal (DESIGN.md §5, proofs from stored subtree hashes): an inclusion proof at 10**6 leaves in
at most 1 ms. The raw SHA-256 rate of 64-byte inputs is measured in the same run, since tree
building can be no faster than the hashing it does.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time

from ledger.merkle import CompactRange, leaf_hash
from ledger.proof_verification import verify_consistency, verify_inclusion
from ledger.tree_store import (
    MemoryHashStore,
    compact_range_from_store,
    consistency_proof,
    inclusion_proof,
    root_at,
)

INCLUSION_GOAL_MS = 1.0


def sha256_rate(count: int) -> float:
    """SHA-256 digests per second of distinct 64-byte inputs (an interior node's size)."""
    inputs = [i.to_bytes(8, "big") * 8 for i in range(count)]
    sha256 = hashlib.sha256
    start = time.perf_counter()
    for data in inputs:
        sha256(data).digest()
    return count / (time.perf_counter() - start)


def build(leaves: int) -> tuple[MemoryHashStore, list[bytes], float, int]:
    """Append `leaves` leaves; return the store, leaf hashes, seconds taken and hashes made."""
    store = MemoryHashStore()
    compact = CompactRange()
    leaf_hashes = []
    hashes_made = 0
    start = time.perf_counter()
    for i in range(leaves):
        h = leaf_hash(i.to_bytes(8, "big"))
        completed = compact.append(h)
        store.put_many(completed)
        leaf_hashes.append(h)
        hashes_made += len(completed)  # the leaf hash plus one node hash per parent completed
    return store, leaf_hashes, time.perf_counter() - start, hashes_made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=10**6)
    parser.add_argument("--proofs", type=int, default=20_000)
    args = parser.parse_args()
    size: int = args.leaves
    label = size_label(size)
    rng = random.Random(6962)

    raw_rate = sha256_rate(10**6)
    store, leaf_hashes, build_seconds, hashes_made = build(size)
    build_rate = hashes_made / build_seconds
    print(f"raw SHA-256 (64-byte inputs): {raw_rate:,.0f} hashes/s")
    print(
        f"tree build @{label}: {build_seconds:.2f} s, {size / build_seconds:,.0f} leaves/s, "
        f"{build_rate:,.0f} hashes/s, ratio to raw SHA-256={build_rate / raw_rate:.2f}"
    )

    root = root_at(store, size)
    assert root == compact_root(leaf_hashes), "root_at disagrees with a fresh CompactRange"

    indices = [rng.randrange(size) for _ in range(args.proofs)]
    start = time.perf_counter()
    proofs = [inclusion_proof(store, index, size) for index in indices]
    ms = (time.perf_counter() - start) * 1000 / args.proofs
    print(
        f"inclusion proof @{label}: {ms:.3f} ms/proof (goal <= {INCLUSION_GOAL_MS:g} ms) "
        f"ratio={ms / INCLUSION_GOAL_MS:.3f}"
    )

    start = time.perf_counter()
    for index, proof in zip(indices, proofs, strict=True):
        verify_inclusion(leaf_hashes[index], index, size, proof, root)
    ms = (time.perf_counter() - start) * 1000 / args.proofs
    print(f"inclusion verify @{label}: {ms:.3f} ms/proof")

    old_sizes = [rng.randrange(1, size) for _ in range(args.proofs)]
    start = time.perf_counter()
    proofs = [consistency_proof(store, old_size, size) for old_size in old_sizes]
    ms = (time.perf_counter() - start) * 1000 / args.proofs
    print(
        f"consistency proof @{label}: {ms:.3f} ms/proof (goal <= {INCLUSION_GOAL_MS:g} ms) "
        f"ratio={ms / INCLUSION_GOAL_MS:.3f}"
    )

    sample = list(zip(old_sizes, proofs, strict=True))[:1000]
    start = time.perf_counter()
    for old_size, proof in sample:
        verify_consistency(old_size, size, root_at(store, old_size), root, proof)
    ms = (time.perf_counter() - start) * 1000 / len(sample)
    print(f"consistency verify @{label} (incl. root_at of the old size): {ms:.3f} ms/proof")

    start = time.perf_counter()
    for old_size in old_sizes[:1000]:
        compact_range_from_store(store, old_size)
    ms = (time.perf_counter() - start) * 1000 / 1000
    print(f"compact_range_from_store @{label}: {ms:.3f} ms")


def size_label(n: int) -> str:
    """1000000 -> "1e6"; other sizes as they are."""
    exponent = len(str(n)) - 1
    return f"1e{exponent}" if n == 10**exponent else str(n)


def compact_root(leaf_hashes: list[bytes]) -> bytes:
    compact = CompactRange()
    for h in leaf_hashes:
        compact.append(h)
    return compact.root()


if __name__ == "__main__":
    main()
