"""ledger.proof_verification: RFC 9162 §2.1.3.2/§2.1.4.2 checks of proofs, and their properties."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from merkle_support import (
    LEAVES,
    NEAR_POWERS_OF_TWO,
    PROPERTY_SETTINGS,
    build_store,
    flip_bit,
    sizes,
    true_root,
)

from ledger.errors import FormatError, ProofError
from ledger.merkle import EMPTY_ROOT, CompactRange, leaf_hash, root_from_leaf_hashes
from ledger.proof_verification import verify_consistency, verify_inclusion
from ledger.tree_store import (
    MemoryHashStore,
    compact_range_from_store,
    consistency_proof,
    inclusion_proof,
    root_at,
)


@pytest.fixture(scope="module")
def big_store() -> MemoryHashStore:
    return build_store(LEAVES)


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
    assert compact_range_from_store(store, size).root() == root_from_leaf_hashes(hashes[:size])


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
