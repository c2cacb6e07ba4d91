"""ledger.merkle: storage, appends, argument checks, and properties over trees of up to 10**4."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from merkle_support import (
    LEAVES,
    CountingStore,
    build_store,
    true_root,
)

from ledger.errors import FormatError
from ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    frontier_keys,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
)
from ledger.tree_store import (
    HashStore,
    MemoryHashStore,
    compact_range_from_store,
    consistency_proof,
    inclusion_proof,
    root_at,
)


@pytest.fixture(scope="module")
def big_store() -> MemoryHashStore:
    return build_store(LEAVES)


# ---------------------------------------------------------------------------- hashing


def test_leaf_and_node_hashes_use_rfc6962_prefixes() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = b"L" * 32, b"R" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert HASH_SIZE == len(EMPTY_ROOT) == 32


def test_root_of_small_trees_follows_the_rfc_split() -> None:
    a, b, c = LEAVES[:3]
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert root_from_leaf_hashes([a]) == a
    assert root_from_leaf_hashes([a, b]) == node_hash(a, b)
    # Three leaves: the left subtree is the largest power of two below 3.
    assert root_from_leaf_hashes([a, b, c]) == node_hash(node_hash(a, b), c)


def test_root_from_leaf_hashes_rejects_non_hashes() -> None:
    with pytest.raises(FormatError):
        root_from_leaf_hashes([LEAVES[0], b"short"])


# ---------------------------------------------------------------------------- MemoryHashStore


def test_memory_store_get_and_get_many() -> None:
    store = MemoryHashStore()
    store.put(0, 0, LEAVES[0])
    store.put(0, 1, LEAVES[1])
    store.put(1, 0, node_hash(LEAVES[0], LEAVES[1]))
    assert store.get(0, 1) == LEAVES[1]
    assert store.get_many([(1, 0), (0, 0)]) == [node_hash(LEAVES[0], LEAVES[1]), LEAVES[0]]
    assert store.leaf_count == 2
    for missing in [(0, 2), (2, 0), (-1, 0), (0, -1)]:
        with pytest.raises(LookupError):
            store.get(*missing)
    with pytest.raises(LookupError):
        store.get_many([(0, 0), (0, 5)])


def test_memory_store_is_append_only() -> None:
    store = MemoryHashStore()
    store.put(0, 0, LEAVES[0])
    store.put(0, 0, LEAVES[0])  # the same hash again is harmless (a retried insert)
    with pytest.raises(ValueError, match="another hash"):
        store.put(0, 0, LEAVES[1])
    with pytest.raises(ValueError, match="stored before"):
        store.put(0, 2, LEAVES[2])
    with pytest.raises(ValueError, match="32 bytes"):
        store.put(0, 1, b"x")
    with pytest.raises(ValueError, match="negative"):
        store.put(-1, 0, LEAVES[0])
    assert MemoryHashStore().leaf_count == 0


# ---------------------------------------------------------------------------- CompactRange


def test_append_emits_each_perfect_subtree_exactly_once_when_completed() -> None:
    compact = CompactRange()
    emitted: list[tuple[int, int, bytes]] = []
    for size in range(1, 65):
        completed = compact.append(LEAVES[size - 1])
        assert completed[0] == (0, size - 1, LEAVES[size - 1])
        # A leaf completes one subtree per trailing 1 bit of the old size, plus itself.
        trailing_ones = ((size - 1) ^ size).bit_length() - 1
        assert len(completed) == 1 + trailing_ones
        emitted.extend(completed)
    expected = [
        (level, index, true_root_of_range(index << level, (index + 1) << level))
        for level in range(7)
        for index in range(64 >> level)
    ]
    assert sorted(emitted) == sorted(expected)


def true_root_of_range(start: int, end: int) -> bytes:
    return root_from_leaf_hashes(LEAVES[start:end])


def test_append_rejects_non_hashes() -> None:
    with pytest.raises(FormatError):
        CompactRange().append(b"\x00" * 31)


def test_frontier_is_one_subtree_per_set_bit_largest_first() -> None:
    assert frontier_keys(0) == []
    assert frontier_keys(8) == [(3, 0)]
    assert frontier_keys(13) == [(3, 0), (2, 2), (0, 12)]
    compact = CompactRange()
    for h in LEAVES[:13]:
        compact.append(h)
    assert compact.size == 13
    assert compact.frontier() == [
        (3, 0, true_root_of_range(0, 8)),
        (2, 2, true_root_of_range(8, 12)),
        (0, 12, LEAVES[12]),
    ]
    with pytest.raises(ValueError):
        frontier_keys(-1)


def test_restored_compact_range_continues_like_the_original(big_store: MemoryHashStore) -> None:
    for size in [0, 1, 2, 3, 7, 8, 9, 1000, 1023, 1024, 1025]:
        restored = compact_range_from_store(big_store, size)
        assert restored.size == size
        assert restored.root() == true_root(size)
        from_frontier = CompactRange.from_frontier(size, [h for _, _, h in restored.frontier()])
        assert from_frontier.frontier() == restored.frontier()
        # Appending after a restore emits exactly what the store already holds.
        for index in range(size, size + 5):
            for level, node_index, h in restored.append(LEAVES[index]):
                assert big_store.get(level, node_index) == h
        assert restored.root() == true_root(size + 5)


def test_restore_rejects_a_frontier_of_the_wrong_shape() -> None:
    with pytest.raises(FormatError, match="has 2 hashes, got 1"):
        CompactRange.from_frontier(3, [LEAVES[0]])
    with pytest.raises(FormatError):
        CompactRange.from_frontier(1, [b"short"])
    with pytest.raises(LookupError):
        compact_range_from_store(build_store(LEAVES[:4]), 5)


# ---------------------------------------------------------------------------- proof generation


def test_proofs_read_the_store_once_in_log_n_keys(big_store: MemoryHashStore) -> None:
    counting = CountingStore(big_store)
    proof = inclusion_proof(counting, 4321, 9999)
    assert len(counting.batches) == 1 and counting.single_reads == 0
    # Each proof hash needs at most log2(n) + 1 perfect pieces; in practice far fewer in total.
    assert len(counting.batches[0]) <= 2 * 14
    assert len(proof) <= 14

    counting = CountingStore(big_store)
    consistency_proof(counting, 3333, 9999)
    assert len(counting.batches) == 1 and counting.single_reads == 0
    assert len(counting.batches[0]) <= 2 * 2 * 14

    counting = CountingStore(big_store)
    root_at(counting, 9999)
    assert counting.batches == [frontier_keys(9999)]


def test_proofs_for_an_older_size_ignore_later_leaves(big_store: MemoryHashStore) -> None:
    small = build_store(LEAVES[:11])
    assert inclusion_proof(big_store, 5, 11) == inclusion_proof(small, 5, 11)
    assert consistency_proof(big_store, 6, 11) == consistency_proof(small, 6, 11)
    assert root_at(big_store, 11) == root_at(small, 11) == true_root(11)


def test_trivial_consistency_proofs_are_empty(big_store: MemoryHashStore) -> None:
    assert consistency_proof(big_store, 0, 0) == []
    assert consistency_proof(big_store, 0, 17) == []
    assert consistency_proof(big_store, 17, 17) == []
    assert inclusion_proof(big_store, 0, 1) == []


@pytest.mark.parametrize(
    "call",
    [
        lambda s: inclusion_proof(s, 0, 0),
        lambda s: inclusion_proof(s, 5, 5),
        lambda s: inclusion_proof(s, -1, 5),
        lambda s: consistency_proof(s, 6, 5),
        lambda s: consistency_proof(s, -1, 5),
        lambda s: root_at(s, -1),
    ],
)
def test_generation_rejects_out_of_range_arguments(
    call: Callable[[HashStore], object], big_store: MemoryHashStore
) -> None:
    with pytest.raises(ValueError):
        call(big_store)


def test_generation_beyond_the_store_raises_lookup_error() -> None:
    store = build_store(LEAVES[:4])
    with pytest.raises(LookupError):
        inclusion_proof(store, 0, 5)
    with pytest.raises(LookupError):
        consistency_proof(store, 2, 5)
    with pytest.raises(LookupError):
        root_at(store, 5)
