"""Checking RFC 6962 inclusion and consistency proofs, as RFC 9162 §2.1.3.2 and §2.1.4.2 do.

The proofs themselves come from `ledger.tree_store` (RFC 6962 §2.1.1, §2.1.2), served from the
stored subtree hashes; a proof bundle, a remote audit or an app checks them here against a
checkpoint's root.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from ledger.errors import FormatError, ProofError
from ledger.merkle import EMPTY_ROOT, node_hash, require_hash


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Verify an inclusion proof as RFC 9162 §2.1.3.2 does; raise ProofError if it fails.

    Malformed arguments (negative numbers, hashes that are not 32 bytes) raise FormatError.
    """
    _require_non_negative("index", index)
    _require_non_negative("size", size)
    require_hash("leaf hash", leaf_hash)
    require_hash("root", root)
    _require_proof_hashes(proof)
    what = f"inclusion proof for index {index} in tree of size {size}"
    # Step 1.
    if index >= size:
        raise ProofError(f"{what}: index is not less than size")
    # Steps 2-5 accept a proof only if it has exactly this many elements.
    expected = _path_length(index, size - 1)
    if len(proof) != expected:
        raise ProofError(f"{what}: proof has {len(proof)} hashes, expected {expected}")
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if not hmac.compare_digest(r, root):
        raise ProofError(f"{what}: computed root {r.hex()}, expected {root.hex()}")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Verify a consistency proof as RFC 9162 §2.1.4.2 does; raise ProofError if it fails.

    Beyond the RFC's 0 < old_size < new_size: equal sizes need an empty proof and equal
    roots, and the empty tree (old_size 0, root SHA-256("")) is consistent with any tree
    through an empty proof (as C2SP tlog-witness accepts). Malformed arguments raise
    FormatError.
    """
    _require_non_negative("old size", old_size)
    _require_non_negative("new size", new_size)
    require_hash("old root", old_root)
    require_hash("new root", new_root)
    _require_proof_hashes(proof)
    what = f"consistency proof from size {old_size} to size {new_size}"
    if old_size > new_size:
        raise ProofError(f"{what}: old size is larger than new size")
    if old_size in (0, new_size):
        if proof:
            raise ProofError(f"{what}: proof has {len(proof)} hashes, expected 0")
        if old_size == 0 and not hmac.compare_digest(old_root, EMPTY_ROOT):
            raise ProofError(
                f"{what}: old root {old_root.hex()} is not the empty-tree root {EMPTY_ROOT.hex()}"
            )
        if old_size == new_size and not hmac.compare_digest(old_root, new_root):
            raise ProofError(
                f"{what}: same size but roots differ: {old_root.hex()} and {new_root.hex()}"
            )
        return

    path = list(proof)
    # Step 2: a power-of-two old tree is itself a node of the new one, so its root seeds.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # Steps 3-4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Steps 1 and 6a-7 accept a path only if it has exactly this many elements.
    expected = 1 + _path_length(fn, sn)
    if len(path) != expected:
        seeded = len(path) - len(proof)
        raise ProofError(f"{what}: proof has {len(proof)} hashes, expected {expected - seeded}")
    # Step 5.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # Step 7 (sn == 0 holds by the length check).
    if not hmac.compare_digest(fr, old_root):
        raise ProofError(f"{what}: computed old root {fr.hex()}, expected {old_root.hex()}")
    if not hmac.compare_digest(sr, new_root):
        raise ProofError(f"{what}: computed new root {sr.hex()}, expected {new_root.hex()}")


def _path_length(fn: int, sn: int) -> int:
    """How many path elements the RFC 9162 §2.1.3.2 / §2.1.4.2 loop consumes before sn is 0.

    The loop's index arithmetic never depends on the hashes, so this is the only proof length
    the RFC algorithms accept.
    """
    count = 0
    while sn:
        if not fn & 1 and fn == sn:
            while True:
                fn >>= 1
                sn >>= 1
                if fn & 1 or fn == 0:
                    break
        fn >>= 1
        sn >>= 1
        count += 1
    return count


def _require_non_negative(name: str, value: int) -> None:
    """Indices and tree sizes are unsigned in RFC 9162 §2.1.3.2 and §2.1.4.2."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FormatError(f"{name} must be a non-negative integer, got {value!r}")


def _require_proof_hashes(proof: Sequence[bytes]) -> None:
    """A proof is a list of 32-byte node hashes (RFC 9162 §2.1.3.2, §2.1.4.2)."""
    if isinstance(proof, bytes | str):
        raise FormatError("proof must be a sequence of hashes, not a single string")
    for i, p in enumerate(proof):
        require_hash(f"proof[{i}]", p)
