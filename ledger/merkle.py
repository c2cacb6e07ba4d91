"""Merkle tree of the ledger: RFC 6962 §2.1 / RFC 9162 §2.1, SHA-256.

Hashes of *perfect* subtrees (2**level leaves starting at leaf ``index * 2**level``) are the
only thing ever stored. Every other node the RFC tree needs lies on its right edge and is
recomputed from the O(log n) perfect pieces that cover it, so roots and proofs for any past tree
size come from the same append-only store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from ledger.errors import FormatError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Hash of a leaf, SHA-256(0x00 || data) (RFC 6962 §2.1, RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node, SHA-256(0x01 || left || right) (RFC 6962 §2.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 §2.1 from the n leaf hashes; SHA-256("") when n is 0.

    Hashes level by level, carrying an unpaired last node up unchanged, which builds the same
    tree as the RFC's split at the largest power of two below n.
    """
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    for h in level:
        require_hash("leaf hash", h)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


# (level, index, hash): the hash of the perfect subtree of 2**level leaves that starts at leaf
# index * 2**level. Level 0 holds the leaf hashes.
SubtreeHash = tuple[int, int, bytes]


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


def frontier_keys(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees that cover leaves [0, size), largest (leftmost) first.

    There is one per set bit of `size`: this is the right frontier of the RFC 6962 §2.1 tree.
    """
    if size < 0:
        raise ValueError(f"tree size must not be negative, got {size}")
    return _cover_keys(0, size)


CompletedSubtrees = Callable[[int, int, list[bytes]], None]
"""`completed(level, index, hashes)`: perfect subtrees `index`, `index + 1`, ... of a level."""


class CompactRange:
    """The right frontier of a tree of `size` leaves: an incremental RFC 6962 §2.1 appender."""

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []  # one per set bit of _size, largest subtree first

    @classmethod
    def from_frontier(cls, size: int, hashes: Sequence[bytes]) -> CompactRange:
        """Restore from `size` and the hashes of `frontier_keys(size)`, in that order."""
        keys = frontier_keys(size)
        if len(hashes) != len(keys):
            raise FormatError(f"frontier of size {size} has {len(keys)} hashes, got {len(hashes)}")
        for h in hashes:
            require_hash("frontier hash", h)
        compact = cls()
        compact._size = size
        compact._hashes = list(hashes)
        return compact

    @classmethod
    def from_store(cls, store: HashStore, size: int) -> CompactRange:
        """Restore from a store holding a tree of at least `size` leaves (O(log n) reads)."""
        return cls.from_frontier(size, store.get_many(frontier_keys(size)))

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def frontier(self) -> list[SubtreeHash]:
        """The frontier subtrees, largest first, for a store that wants to persist them."""
        return [
            (level, index, h)
            for (level, index), h in zip(frontier_keys(self._size), self._hashes, strict=True)
        ]

    def append(self, leaf_hash: bytes) -> list[SubtreeHash]:
        """Append a leaf hash; return every perfect subtree this completes.

        That is the leaf itself at level 0, then each parent whose last leaf it is: exactly
        the rows a storage backend has to insert.
        """
        require_hash("leaf hash", leaf_hash)
        index = self._size
        completed: list[SubtreeHash] = [(0, index, leaf_hash)]
        h = leaf_hash
        level = 0
        # Each trailing 1 bit of the old size is a left sibling this leaf now completes.
        while (index >> level) & 1:
            h = node_hash(self._hashes.pop(), h)
            level += 1
            completed.append((level, index >> level, h))
        self._hashes.append(h)
        self._size = index + 1
        return completed

    def extend(self, leaf_hashes: bytes, completed: CompletedSubtrees | None = None) -> None:
        """Append the 32-byte leaf hashes concatenated in `leaf_hashes`, in order (RFC 6962 §2.1).

        The same as `append` for each, level by level: all the leaves, then every pair they
        complete, and so on up. `completed(level, index, hashes)`, if given, is told the perfect
        subtrees completed at each level, `hashes` being those of subtrees `index`,
        `index + 1`, ... (level 0 holds the leaves), exactly the rows `append` would list.
        """
        if len(leaf_hashes) % HASH_SIZE:
            raise FormatError(f"leaf hashes: {len(leaf_hashes)} bytes is not a multiple of 32")
        frontier, sha256 = self._hashes, hashlib.sha256
        nodes = [leaf_hashes[i : i + HASH_SIZE] for i in range(0, len(leaf_hashes), HASH_SIZE)]
        start, level = self._size, 0
        self._size += len(nodes)
        unpaired: list[bytes] = []  # the new frontier below the untouched levels, lowest first
        while nodes:
            if completed is not None:
                completed(level, start, nodes)
            if start & 1:  # the first node's left sibling is the frontier's lowest subtree
                nodes = [frontier.pop(), *nodes]
                start -= 1
            if len(nodes) & 1:
                unpaired.append(nodes[-1])
            pairs = iter(nodes)
            nodes = [
                sha256(_NODE_PREFIX + left + right).digest()
                for left, right in zip(pairs, pairs, strict=False)
            ]
            start >>= 1
            level += 1
        frontier.extend(reversed(unpaired))

    def root(self) -> bytes:
        """MTH of the leaves appended so far (RFC 6962 §2.1)."""
        return _fold_right(self._hashes) if self._hashes else EMPTY_ROOT


def root_at(store: HashStore, size: int) -> bytes:
    """MTH(D[size]) (RFC 6962 §2.1) of the first `size` leaves of the tree in `store`."""
    if size == 0:
        return EMPTY_ROOT
    return _fold_right(store.get_many(frontier_keys(size)))


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


def _cover_keys(start: int, end: int) -> list[tuple[int, int]]:
    """The maximal aligned perfect subtrees covering leaves [start, end), left to right.

    For every node of an RFC 6962 tree, MTH of its range is the right fold of these pieces:
    a perfect node is one piece, a right-edge node is the binary decomposition of its width.
    """
    keys = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """MTH of adjacent subtrees given largest first: H(h0, H(h1, ... H(h[-2], h[-1])))."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def _range_hashes(store: HashStore, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """MTH of each leaf range, from one `get_many` call for all the pieces they need."""
    covers = [_cover_keys(start, end) for start, end in ranges]
    unique_keys = list(dict.fromkeys(key for cover in covers for key in cover))
    fetched = dict(zip(unique_keys, store.get_many(unique_keys), strict=True))
    return [_fold_right([fetched[key] for key in cover]) for cover in covers]


def require_hash(name: str, value: bytes) -> None:
    """FormatError unless `value` is a 32-byte SHA-256 hash."""
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        got = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise FormatError(f"{name} must be {HASH_SIZE} bytes, got {got}")
