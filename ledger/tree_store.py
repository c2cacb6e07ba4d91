"""The log server's side of the RFC 6962 tree: stored subtree hashes and what is read from them.

Hashes of *perfect* subtrees (2**level leaves starting at leaf ``index * 2**level``, see
`ledger.merkle.SubtreeHash`) are the only thing ever stored. Every other node the RFC tree
needs lies on its right edge and is recomputed from the O(log n) perfect pieces that cover it
(`ledger.merkle.cover_keys`), so roots and proofs for any past tree size come from the same
append-only store: `root_at`, `inclusion_proof` (RFC 6962 §2.1.1), `consistency_proof`
(RFC 6962 §2.1.2). Verifying the proofs is `ledger.proof_verification`'s.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Protocol

from ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    cover_keys,
    fold_right,
    frontier_keys,
    root_from_leaf_hashes,
)
from ledger.tiles import TILE_HEIGHT


class HashStore(Protocol):
    """Read access to stored perfect-subtree hashes (level, index) -> hash (see `SubtreeHash`)."""

    def get(self, level: int, index: int) -> bytes:
        """Return one subtree hash; raise LookupError (e.g. KeyError) if it is not stored."""
        ...

    def get_many(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        """Return the hashes of `keys` (level, index) in order; raise LookupError if any is absent.

        One call per proof, so an SQL store can answer it with a single query.
        """
        ...


class MemoryHashStore:
    """An in-memory, append-only `HashStore`: one list of hashes per level."""

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = []

    def get(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or level >= len(self._levels):
            raise KeyError((level, index))
        row = self._levels[level]
        if index >= len(row):
            raise KeyError((level, index))
        return row[index]

    def get_many(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.get(level, index) for level, index in keys]

    def put(self, level: int, index: int, digest: bytes) -> None:
        """Store a subtree hash; subtrees of a level must arrive in index order.

        Storing the same hash again is a no-op; a different hash for a stored subtree, or a
        gap, is a ValueError, since it means the caller's tree diverged from this one.
        """
        if level < 0 or index < 0:
            raise ValueError(f"negative subtree coordinates ({level}, {index})")
        if len(digest) != HASH_SIZE:
            raise ValueError(f"subtree hash must be {HASH_SIZE} bytes, got {len(digest)}")
        while len(self._levels) <= level:
            self._levels.append([])
        row = self._levels[level]
        if index == len(row):
            row.append(digest)
        elif index > len(row):
            raise ValueError(f"subtree ({level}, {index}) stored before ({level}, {len(row)})")
        elif row[index] != digest:
            raise ValueError(f"subtree ({level}, {index}) already stored with another hash")

    def put_many(self, subtrees: Iterable[tuple[int, int, bytes]]) -> None:
        """Store each (level, index, hash), e.g. the result of `CompactRange.append`."""
        for level, index, h in subtrees:
            self.put(level, index, h)

    @property
    def leaf_count(self) -> int:
        """Number of leaf hashes stored (level 0)."""
        return len(self._levels[0]) if self._levels else 0


Span = tuple[int, int, int]
"""(level, start, end): the hashes of subtrees ``start <= index < end`` of one level."""


class SpanReader(Protocol):
    """Reads the levels a strided store keeps (multiples of `STRIDE`: 0, 4, 8, ...)."""

    def read_spans(self, spans: Sequence[Span]) -> list[list[bytes]]:
        """For each span, its stored hashes in index order: fewer than asked where the stored
        tree ends before ``end``. One call per `get_many`, so an SQL reader can answer it with
        a single query."""
        ...


STRIDE = 4
"""A strided store keeps the levels that are multiples of STRIDE. TILE_HEIGHT is one of them, so
every c2sp.org/tlog-tiles tile is a key range of stored hashes."""
assert TILE_HEIGHT % STRIDE == 0


def stored_level(level: int) -> bool:
    """Whether a strided store keeps `level`."""
    return level % STRIDE == 0


class StridedHashStore:
    """A `HashStore` over a store that keeps only every `STRIDE`-th level (`stored_level`).

    A hash at level ``4t + r`` is the perfect subtree of the ``2**r`` (at most 8) hashes below
    it at level ``4t``, folded as RFC 6962 §2.1 builds it. So the store holds a leaf hash per
    entry and one hash per 16 entries above, not the ~2 hashes per entry of every level, and a
    proof reads at most 16 hashes per 4 levels of the tree.
    """

    def __init__(self, reader: SpanReader) -> None:
        self.reader = reader

    def get(self, level: int, index: int) -> bytes:
        return self.get_many([(level, index)])[0]

    def get_many(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        if not keys:
            return []
        wanted = [_below(level, index) for level, index in keys]
        merged = _merge(wanted)
        found = dict(zip(merged, self.reader.read_spans(merged), strict=True))
        firsts = [(level, start) for level, start, _ in merged]
        result = []
        for (level, index), (base, start, end) in zip(keys, wanted, strict=True):
            span = merged[bisect_right(firsts, (base, start)) - 1]
            hashes = found[span][start - span[1] : end - span[1]]
            if len(hashes) != end - start:
                raise LookupError(f"subtree hash ({level}, {index}) is beyond the stored tree")
            result.append(hashes[0] if len(hashes) == 1 else root_from_leaf_hashes(hashes))
        return result


def _below(level: int, index: int) -> Span:
    """The span of stored hashes that subtree (level, index) is the perfect tree of."""
    if level < 0 or index < 0:
        raise LookupError(f"no subtree at ({level}, {index})")
    rest = level % STRIDE
    return level - rest, index << rest, (index + 1) << rest


def _merge(spans: Sequence[Span]) -> list[Span]:
    """The spans' union, as few spans as overlap or touch allows, by level then index."""
    merged: list[Span] = []
    for level, start, end in sorted(set(spans)):
        if merged and merged[-1][0] == level and start <= merged[-1][2]:
            last = merged[-1]
            merged[-1] = (level, last[1], max(last[2], end))
        else:
            merged.append((level, start, end))
    return merged


def compact_range_from_store(store: HashStore, size: int) -> CompactRange:
    """Restore from a store holding a tree of at least `size` leaves (O(log n) reads)."""
    return CompactRange.from_frontier(size, store.get_many(frontier_keys(size)))


def root_at(store: HashStore, size: int) -> bytes:
    """MTH(D[size]) (RFC 6962 §2.1) of the first `size` leaves of the tree in `store`."""
    if size == 0:
        return EMPTY_ROOT
    return fold_right(store.get_many(frontier_keys(size)))


def inclusion_proof(store: HashStore, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 6962 §2.1.1 (inclusion_path of RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []  # root to leaf; the RFC lists them leaf to root
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return _range_hashes(store, ranges)


def consistency_proof(store: HashStore, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 6962 §2.1.2 (RFC 9162 §2.1.4.1).

    Empty when old_size is 0 or equal to new_size: there is nothing to prove.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []  # root to leaf; the RFC lists them leaf to root
    start, end = 0, new_size
    m = old_size
    complete = True  # SUBPROOF's flag b: D[start:end] is still the whole old tree's prefix
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        ranges.append((start, end))
    ranges.reverse()
    return _range_hashes(store, ranges)


def _split(n: int) -> int:
    """The k of RFC 6962 §2.1: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_hashes(store: HashStore, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """MTH of each leaf range, from one `get_many` call for all the pieces they need."""
    covers = [cover_keys(start, end) for start, end in ranges]
    unique_keys = list(dict.fromkeys(key for cover in covers for key in cover))
    fetched = dict(zip(unique_keys, store.get_many(unique_keys), strict=True))
    return [fold_right([fetched[key] for key in cover]) for cover in covers]
