"""ledger.merkle against a naive, recursive transcription of RFC 6962 §2.1.

The reference below shares no code with ledger.merkle: it hashes leaf *data* with hashlib
and follows the RFC's MTH, PATH and SUBPROOF definitions literally, on slices of the list.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import CompactRange, leaf_hash, root_from_leaf_hashes
from ledger.proof_verification import verify_consistency, verify_inclusion
from ledger.tree_store import MemoryHashStore, consistency_proof, inclusion_proof, root_at

ENTRIES = [f"entry {i}".encode() for i in range(2049)]


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    """RFC 6962 §2.1: MTH({}) = SHA-256(), MTH({d0}) = SHA-256(0x00 || d0), then the split."""
    n = len(d)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + d[0])
    k = largest_power_of_two_below(n)
    return sha256(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[n])."""
    n = len(d)
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """RFC 6962 §2.1.2 SUBPROOF(m, D[n], b)."""
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def proof(m: int, d: list[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.2 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for 0 < m < n."""
    return subproof(m, d, True)


@pytest.fixture(scope="module")
def store() -> MemoryHashStore:
    hash_store = MemoryHashStore()
    compact = CompactRange()
    for entry in ENTRIES:
        hash_store.put_many(compact.append(leaf_hash(entry)))
    return hash_store


def test_every_root_proof_and_consistency_up_to_size_40(store: MemoryHashStore) -> None:
    for n in range(41):
        d = ENTRIES[:n]
        root = mth(d)
        assert root_at(store, n) == root
        assert root_from_leaf_hashes([leaf_hash(e) for e in d]) == root
        for m in range(n):
            expected = path(m, d)
            assert inclusion_proof(store, m, n) == expected, (m, n)
            verify_inclusion(leaf_hash(d[m]), m, n, expected, root)
        for m in range(1, n):
            expected = proof(m, d)
            assert consistency_proof(store, m, n) == expected, (m, n)
            verify_consistency(m, n, mth(d[:m]), root, expected)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_random_trees_up_to_2049_leaves(store: MemoryHashStore, data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=2, max_value=len(ENTRIES)), label="size")
    m = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    old = data.draw(st.integers(min_value=1, max_value=n - 1), label="old size")
    d = ENTRIES[:n]
    assert root_at(store, n) == mth(d)
    assert inclusion_proof(store, m, n) == path(m, d)
    assert consistency_proof(store, old, n) == proof(old, d)
