"""``StridedHashStore``: a store of every fourth level (0, 4, 8, ...) answers every subtree
hash, root and proof exactly as the store of every level does."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from ledger.merkle import CompactRange
from ledger.tree_store import (
    MemoryHashStore,
    Span,
    StridedHashStore,
    consistency_proof,
    inclusion_proof,
    root_at,
    stored_level,
)


class StoredLevels:
    """A SpanReader over the stored levels of an in-memory tree, counting its calls."""

    def __init__(self, every_level: MemoryHashStore) -> None:
        self.levels = {
            level: hashes for level, hashes in enumerate(every_level._levels) if stored_level(level)
        }
        self.calls: list[Sequence[Span]] = []

    def read_spans(self, spans: Sequence[Span]) -> list[list[bytes]]:
        self.calls.append(spans)
        return [self.levels.get(level, [])[start:end] for level, start, end in spans]


def _trees(size: int) -> tuple[MemoryHashStore, StoredLevels]:
    full, compact = MemoryHashStore(), CompactRange()
    for n in range(size):
        full.put_many(compact.append(hashlib.sha256(n.to_bytes(4, "big")).digest()))
    return full, StoredLevels(full)


@pytest.mark.parametrize("size", [1, 2, 255, 256, 257, 511, 1100])
def test_every_subtree_hash_is_the_stored_one(size: int) -> None:
    full, reader = _trees(size)
    keys = [(level, idx) for level, row in enumerate(full._levels) for idx in range(len(row))]
    assert StridedHashStore(reader).get_many(keys) == full.get_many(keys)
    assert len(reader.calls) == 1  # one read for the lot


def test_roots_and_proofs_match_the_store_of_every_level() -> None:
    full, reader = _trees(1100)
    tiled = StridedHashStore(reader)
    for size in (1, 7, 256, 300, 512, 1099, 1100):
        assert root_at(tiled, size) == root_at(full, size)
        for index in {0, size // 2, size - 1}:
            assert inclusion_proof(tiled, index, size) == inclusion_proof(full, index, size)
        for old in {1, size // 3, size - 1}:
            assert consistency_proof(tiled, old, size) == consistency_proof(full, old, size)


def test_an_inclusion_proof_reads_at_most_16_hashes_a_stored_level() -> None:
    _, reader = _trees(1100)
    inclusion_proof(StridedHashStore(reader), 700, 1100)
    (spans,) = reader.calls
    assert all(end - start <= 16 for _, start, end in spans)
    assert {level for level, _, _ in spans} == {0, 4, 8}


@pytest.mark.parametrize(
    "key", [(0, 300), (3, 38), (4, 19), (6, 5), (8, 2), (9, 0), (-1, 0), (0, -1)]
)
def test_a_hash_beyond_the_stored_tree_is_a_lookup_error(key: tuple[int, int]) -> None:
    _, reader = _trees(300)
    with pytest.raises(LookupError):
        StridedHashStore(reader).get(*key)
