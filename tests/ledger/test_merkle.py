"""ledger.merkle: storage, appends, argument checks, and properties over trees of up to 10**4."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import FormatError, ProofError
from ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    HashStore,
    MemoryHashStore,
    consistency_proof,
    frontier_keys,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_at,
    root_from_leaf_hashes,
)
from ledger.proof_verification import verify_consistency, verify_inclusion

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


@pytest.fixture(scope="module")
def big_store() -> MemoryHashStore:
    return build_store(LEAVES)


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
        restored = CompactRange.from_store(big_store, size)
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
        CompactRange.from_store(build_store(LEAVES[:4]), 5)


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


# ---------------------------------------------------------------------------- verification


def test_failure_messages_say_what_failed(big_store: MemoryHashStore) -> None:
    proof = inclusion_proof(big_store, 5, 8)
    with pytest.raises(ProofError) as info:
        verify_inclusion(LEAVES[5], 5, 8, proof, true_root(7))
    assert str(info.value).startswith(
        "inclusion proof for index 5 in tree of size 8: computed root"
    )
    assert true_root(8).hex() in str(info.value) and true_root(7).hex() in str(info.value)
    with pytest.raises(ProofError, match="proof has 2 hashes, expected 3"):
        verify_inclusion(LEAVES[5], 5, 8, proof[:2], true_root(8))
    with pytest.raises(ProofError, match="index is not less than size"):
        verify_inclusion(LEAVES[5], 8, 8, proof, true_root(8))

    proof = consistency_proof(big_store, 6, 8)
    with pytest.raises(ProofError, match=r"from size 6 to size 8: computed new root"):
        verify_consistency(6, 8, true_root(6), true_root(7), proof)
    with pytest.raises(ProofError, match=r"from size 6 to size 8: computed old root"):
        verify_consistency(6, 8, true_root(5), true_root(8), proof)
    with pytest.raises(ProofError, match="proof has 4 hashes, expected 3"):
        verify_consistency(6, 8, true_root(6), true_root(8), [*proof, proof[0]])
    # Old size a power of two: the old root seeds the path, the message still counts the proof.
    proof = consistency_proof(big_store, 4, 8)
    with pytest.raises(ProofError, match="proof has 0 hashes, expected 1"):
        verify_consistency(4, 8, true_root(4), true_root(8), [])


def test_consistency_edge_cases() -> None:
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 9, EMPTY_ROOT, true_root(9), [])
    verify_consistency(9, 9, true_root(9), true_root(9), [])
    with pytest.raises(ProofError, match="same size but roots differ"):
        verify_consistency(9, 9, true_root(9), true_root(8), [])
    with pytest.raises(ProofError, match="expected 0"):
        verify_consistency(9, 9, true_root(9), true_root(9), [LEAVES[0]])
    with pytest.raises(ProofError, match="not the empty-tree root"):
        verify_consistency(0, 9, true_root(1), true_root(9), [])
    with pytest.raises(ProofError, match="expected 0"):
        verify_consistency(0, 9, EMPTY_ROOT, true_root(9), [LEAVES[0]])
    with pytest.raises(ProofError, match="not the empty-tree root"):
        verify_consistency(0, 0, LEAVES[0], LEAVES[0], [])
    with pytest.raises(ProofError, match="old size is larger"):
        verify_consistency(9, 8, true_root(9), true_root(8), [])


@pytest.mark.parametrize(
    "call",
    [
        lambda: verify_inclusion(LEAVES[0], -1, 1, [], LEAVES[0]),
        lambda: verify_inclusion(LEAVES[0], 0, -1, [], LEAVES[0]),
        lambda: verify_inclusion(LEAVES[0], True, 2, [LEAVES[0]], LEAVES[0]),
        lambda: verify_inclusion(LEAVES[0][:31], 0, 1, [], LEAVES[0]),
        lambda: verify_inclusion(LEAVES[0], 0, 1, [], LEAVES[0] + b"\x00"),
        lambda: verify_inclusion(LEAVES[0], 0, 2, [LEAVES[1][:31]], LEAVES[0]),
        lambda: verify_inclusion(LEAVES[0], 0, 2, [LEAVES[1].hex()], LEAVES[0]),  # type: ignore[list-item]
        lambda: verify_inclusion(LEAVES[0], 0, 2, LEAVES[1], LEAVES[0]),  # type: ignore[arg-type]
        lambda: verify_consistency(-1, 2, EMPTY_ROOT, LEAVES[0], []),
        lambda: verify_consistency(1, -2, LEAVES[0], LEAVES[0], []),
        lambda: verify_consistency(1, 2, b"", LEAVES[0], [LEAVES[1]]),
        lambda: verify_consistency(1, 2, LEAVES[0], None, [LEAVES[1]]),  # type: ignore[arg-type]
        lambda: verify_consistency(1, 2, LEAVES[0], LEAVES[0], [LEAVES[1] * 2]),
    ],
)
def test_malformed_verification_input_is_a_format_error(call: Callable[[], None]) -> None:
    with pytest.raises(FormatError):
        call()


# ---------------------------------------------------------------------------- properties


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(sizes(1))
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def old_and_new_size(draw: st.DrawFn) -> tuple[int, int]:
    new_size = draw(sizes(2))
    old_size = draw(
        st.one_of(
            st.integers(min_value=1, max_value=new_size - 1),
            st.sampled_from([n for n in NEAR_POWERS_OF_TWO if n < new_size]),
        )
    )
    return old_size, new_size


def proof_mutations(proof: Sequence[bytes]) -> list[tuple[str, list[bytes]]]:
    """Every proof one hash away from `proof`: changed, dropped, or added at any position."""
    mutations = []
    for i in range(len(proof)):
        mutations.append((f"proof[{i}] changed", [*proof[:i], flip_bit(proof[i]), *proof[i + 1 :]]))
        mutations.append((f"proof[{i}] dropped", [*proof[:i], *proof[i + 1 :]]))
    extra = hashlib.sha256(b"extra").digest()
    for i in range(len(proof) + 1):
        mutations.append((f"hash added at {i}", [*proof[:i], extra, *proof[i:]]))
    if proof:
        mutations.append(("last hash repeated", [*proof, proof[-1]]))
    return mutations


@PROPERTY_SETTINGS
@given(size_and_index())
def test_generated_inclusion_proofs_verify(
    big_store: MemoryHashStore, case: tuple[int, int]
) -> None:
    size, index = case
    proof = inclusion_proof(big_store, index, size)
    assert root_at(big_store, size) == true_root(size)
    verify_inclusion(LEAVES[index], index, size, proof, true_root(size))


@PROPERTY_SETTINGS
@given(old_and_new_size())
def test_generated_consistency_proofs_verify(
    big_store: MemoryHashStore, case: tuple[int, int]
) -> None:
    old_size, new_size = case
    proof = consistency_proof(big_store, old_size, new_size)
    verify_consistency(old_size, new_size, true_root(old_size), true_root(new_size), proof)


@PROPERTY_SETTINGS
@given(size_and_index())
def test_every_inclusion_mutation_is_rejected(
    big_store: MemoryHashStore, case: tuple[int, int]
) -> None:
    size, index = case
    proof = inclusion_proof(big_store, index, size)
    leaf, root = LEAVES[index], true_root(size)
    claims: list[tuple[str, bytes, int, int, list[bytes], bytes]] = [
        (what, leaf, index, size, mutated, root) for what, mutated in proof_mutations(proof)
    ]
    claims += [
        ("other leaf", LEAVES[index + 1], index, size, proof, root),
        ("root changed", leaf, index, size, proof, flip_bit(root)),
        ("index + 1", leaf, index + 1, size, proof, root),
        ("size + 1", leaf, index, size + 1, proof, true_root(size + 1)),
    ]
    if index > 0:
        claims.append(("index - 1", leaf, index - 1, size, proof, root))
    if size > 1:
        claims.append(("size - 1", leaf, index, size - 1, proof, true_root(size - 1)))
    for what, claimed_leaf, claimed_index, claimed_size, claimed_proof, claimed_root in claims:
        with pytest.raises(ProofError):
            verify_inclusion(claimed_leaf, claimed_index, claimed_size, claimed_proof, claimed_root)
            pytest.fail(f"{what}: accepted for index {index} in size {size}")


@PROPERTY_SETTINGS
@given(old_and_new_size())
def test_every_consistency_mutation_is_rejected(
    big_store: MemoryHashStore, case: tuple[int, int]
) -> None:
    old_size, new_size = case
    proof = consistency_proof(big_store, old_size, new_size)
    old_root, new_root = true_root(old_size), true_root(new_size)
    claims: list[tuple[str, int, int, bytes, bytes, list[bytes]]] = [
        (what, old_size, new_size, old_root, new_root, mutated)
        for what, mutated in proof_mutations(proof)
    ]
    claims += [
        ("old root changed", old_size, new_size, flip_bit(old_root), new_root, proof),
        ("new root changed", old_size, new_size, old_root, flip_bit(new_root), proof),
        ("roots swapped", old_size, new_size, new_root, old_root, proof),
        # A changed size claims consistency between the real trees of the claimed sizes.
        ("old size - 1", old_size - 1, new_size, true_root(old_size - 1), new_root, proof),
        ("old size + 1", old_size + 1, new_size, true_root(old_size + 1), new_root, proof),
        ("new size - 1", old_size, new_size - 1, old_root, true_root(new_size - 1), proof),
        ("new size + 1", old_size, new_size + 1, old_root, true_root(new_size + 1), proof),
    ]
    for what, claimed_old, claimed_new, claimed_old_root, claimed_new_root, claimed in claims:
        with pytest.raises(ProofError):
            verify_consistency(
                claimed_old, claimed_new, claimed_old_root, claimed_new_root, claimed
            )
            pytest.fail(f"{what}: accepted for sizes {old_size} -> {new_size}")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=8), max_size=300), st.data())
def test_store_agrees_with_root_from_leaf_hashes_for_every_prefix(
    entries: list[bytes], data: st.DataObject
) -> None:
    hashes = [leaf_hash(e) for e in entries]
    store = build_store(hashes)
    size = data.draw(st.integers(min_value=0, max_value=len(hashes)))
    assert root_at(store, size) == root_from_leaf_hashes(hashes[:size])
    assert CompactRange.from_store(store, size).root() == root_from_leaf_hashes(hashes[:size])


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=70),
    st.lists(st.integers(min_value=0, max_value=40), max_size=12),
)
def test_extend_in_any_pieces_builds_what_append_builds(start: int, pieces: list[int]) -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(start + sum(pieces))]
    appended, extended = CompactRange(), CompactRange()
    for leaf in leaves[:start]:
        appended.append(leaf)
        extended.append(leaf)
    expected, reported = [], []
    at = start
    for size in pieces:
        for leaf in leaves[at : at + size]:
            expected.extend(appended.append(leaf))
        extended.extend(
            b"".join(leaves[at : at + size]),
            lambda level, index, hashes: reported.extend(
                (level, index + i, h) for i, h in enumerate(hashes)
            ),
        )
        at += size
        assert (extended.size, extended.frontier()) == (appended.size, appended.frontier())
        assert extended.root() == appended.root()
    assert sorted(reported) == sorted(expected)


def test_extend_wants_whole_hashes() -> None:
    with pytest.raises(FormatError, match="multiple of 32"):
        CompactRange().extend(b"\x00" * 33)
