"""Trees of up to 10**4 leaves shared by the Merkle tree and proof-verification tests."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ledger.merkle import CompactRange, leaf_hash, root_from_leaf_hashes
from ledger.tree_store import HashStore, MemoryHashStore

MAX_SIZE = 10**4
# One more leaf than the largest size drawn, so that "size + 1" mutations have a real root.
LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(MAX_SIZE + 1)]
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Sizes near powers of two are where the RFC tree's shape changes.
NEAR_POWERS_OF_TWO = sorted(
    {(1 << k) + d for k in range(14) for d in (-1, 0, 1) if 1 <= (1 << k) + d <= MAX_SIZE}
)


def sizes(min_value: int) -> st.SearchStrategy[int]:
    """Tree sizes from min_value to MAX_SIZE, weighted towards large and power-of-two edges."""
    return st.one_of(
        st.integers(min_value=min_value, max_value=MAX_SIZE),
        st.integers(min_value=MAX_SIZE // 2, max_value=MAX_SIZE),
        st.sampled_from([n for n in NEAR_POWERS_OF_TWO if n >= min_value]),
    )


@functools.cache
def true_root(size: int) -> bytes:
    """The root of the first `size` leaves, computed without the store or CompactRange."""
    return root_from_leaf_hashes(LEAVES[:size])


def build_store(hashes: Sequence[bytes]) -> MemoryHashStore:
    store = MemoryHashStore()
    compact = CompactRange()
    for h in hashes:
        store.put_many(compact.append(h))
    return store


class CountingStore:
    """Wraps a store to record every read, to check proofs cost one O(log n) batch."""

    def __init__(self, inner: HashStore) -> None:
        self.inner = inner
        self.batches: list[Sequence[tuple[int, int]]] = []
        self.single_reads = 0

    def get(self, level: int, index: int) -> bytes:
        self.single_reads += 1
        return self.inner.get(level, index)

    def get_many(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        self.batches.append(list(keys))
        return self.inner.get_many(keys)


def flip_bit(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]
