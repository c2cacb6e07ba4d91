"""Merkle tree of the ledger: RFC 6962 §2.1 / RFC 9162 §2.1, SHA-256 (reference).

Leaf and node hashes, the root of a list of leaves, and `CompactRange`: the tree's right
frontier, one perfect subtree per set bit of its size, which a verifier grows entry by entry
to the checkpoint's root. Storing subtree hashes and serving proofs from them is the log
server's (`ledger.tree_store`); checking proofs is `ledger.proof_verification`'s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

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


def frontier_keys(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees that cover leaves [0, size), largest (leftmost) first.

    There is one per set bit of `size`: this is the right frontier of the RFC 6962 §2.1 tree.
    """
    if size < 0:
        raise ValueError(f"tree size must not be negative, got {size}")
    return cover_keys(0, size)


CompletedSubtrees = Callable[[int, int, list[bytes]], None]
"""`completed(level, index, hashes)`: perfect subtrees `index`, `index + 1`, ... of a level."""


class CompactRange:
    """The right frontier of a tree of `size` leaves: an incremental RFC 6962 §2.1 appender."""

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []  # one per set bit of _size, largest subtree first

    @classmethod
    def from_frontier(cls, size: int, hashes: Sequence[bytes]) -> CompactRange:
        """Restore from `size` and the hashes of `frontier_keys(size)`, in that order.

        Those are the RFC 6962 §2.1 tree's perfect subtrees on its right frontier.
        """
        keys = frontier_keys(size)
        if len(hashes) != len(keys):
            raise FormatError(f"frontier of size {size} has {len(keys)} hashes, got {len(hashes)}")
        for h in hashes:
            require_hash("frontier hash", h)
        compact = cls()
        compact._size = size
        compact._hashes = list(hashes)
        return compact

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
        """Append a leaf hash; return every perfect subtree this completes (RFC 6962 §2.1).

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
        return fold_right(self._hashes) if self._hashes else EMPTY_ROOT


def cover_keys(start: int, end: int) -> list[tuple[int, int]]:
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


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """MTH of adjacent subtrees given largest first: H(h0, H(h1, ... H(h[-2], h[-1]))).

    RFC 6962 §2.1: the right edge of the tree joins its perfect subtrees from the right.
    """
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def require_hash(name: str, value: bytes) -> None:
    """FormatError unless `value` is a 32-byte SHA-256 hash (RFC 6962 §2.1, DESIGN §5 "Hashes")."""
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        got = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise FormatError(f"{name} must be {HASH_SIZE} bytes, got {got}")
