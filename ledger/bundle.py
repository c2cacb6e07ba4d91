"""Proof bundles (DESIGN §5, "Proofs"): an item's entries, checkable offline.

A bundle is the JSON object `{"checkpoint": <signed checkpoint note>, "vkey": <log vkey>,
"entries": [{"index": i, "entry": <base64>, "proof": [<base64>, ...]}, ...]}`, every proof an
RFC 6962 §2.1.1 inclusion proof against the bundled checkpoint. Besides the item's own entries it
carries the genesis and EVERY `key.registered` and `key.revoked` entry below the checkpoint
size, so an offline checker replays the whole trust chain and sees revocations.

What an offline check cannot see: an entry left out of the bundle. A bundle that omits a
revocation (or any other entry) still verifies, as long as what it does carry is in the log and
consistent; only a check of the full log (ledger.verify) or of the log's key entries online
catches that omission.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.entry import Entry, parse_entry
from ledger.errors import ChainError, CheckpointError, FormatError, LedgerError, ProofError
from ledger.keys import Verifier, b64decode, b64encode
from ledger.merkle import leaf_hash
from ledger.proof_verification import verify_inclusion
from ledger.registry import KeyRegistry
from ledger.strict_json import loads_strict
from ledger.tree_store import HashStore, inclusion_proof, root_at
from ledger.verify import check_signature, entry_error

_BUNDLE_FIELDS = frozenset({"checkpoint", "vkey", "entries"})
_ENTRY_FIELDS = frozenset({"index", "entry", "proof"})


@dataclass(frozen=True)
class BundledEntry:
    """One entry of a bundle, decoded but not yet verified."""

    index: int
    data: bytes
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle whose every entry is in the log at `checkpoint` and properly signed."""

    checkpoint: Checkpoint
    vkey: str
    entries: tuple[tuple[int, Entry], ...]
    """(index, entry), in index order, key entries included."""
    registry: KeyRegistry
    """The trust chain as of the last bundled entry."""


def build_bundle(
    checkpoint_note: str,
    vkey: str,
    entries: Iterable[tuple[int, bytes]],
    store: HashStore,
    size: int,
) -> dict[str, Any]:
    """The proof bundle of `entries` (DESIGN §5): each with its RFC 6962 §2.1.1 inclusion proof.

    `entries` must hold the genesis and every key entry below `size` besides the item's own
    entries; they are written in index order. `checkpoint_note` must be the log's signed
    checkpoint of `size`, whose root the stored tree must have, and each entry's leaf hash must
    be the stored one: a CheckpointError or ProofError otherwise, FormatError for a duplicate
    or out-of-range index. Proofs cost O(log size) reads of `store`.
    """
    checkpoint = open_checkpoint(checkpoint_note, Verifier.from_vkey(vkey))
    if checkpoint.size != size:
        raise CheckpointError(f"checkpoint size: expected {size}, found {checkpoint.size}")
    stored_root = root_at(store, size)
    if stored_root != checkpoint.root_hash:
        raise CheckpointError(
            f"checkpoint root: expected the stored root {b64encode(stored_root)}, "
            f"found {b64encode(checkpoint.root_hash)}"
        )
    rows: list[dict[str, Any]] = []
    previous = -1
    for index, data in sorted(entries, key=lambda pair: pair[0]):
        if index == previous or not 0 <= index < size:
            raise FormatError(f"entry {index}: duplicate, or not below checkpoint size {size}")
        leaf, stored_leaf = leaf_hash(data), store.get(0, index)
        if leaf != stored_leaf:
            raise ProofError(
                f"entry {index}: leaf: expected the stored {b64encode(stored_leaf)}, "
                f"found {b64encode(leaf)}"
            )
        proof = inclusion_proof(store, index, size)
        rows.append(
            {"index": index, "entry": b64encode(data), "proof": [b64encode(h) for h in proof]}
        )
        previous = index
    return {"checkpoint": checkpoint_note, "vkey": vkey, "entries": rows}


def load_bundle(data: str | bytes) -> dict[str, Any]:
    """Parse bundle JSON and check its top-level shape; raise FormatError if it is no bundle."""
    bundle = loads_strict(data, "bundle")
    _check_shape(bundle)
    return bundle  # type: ignore[no-any-return]


def verify_bundle(
    bundle: dict[str, Any] | str | bytes, *, vkey: str | None = None
) -> VerifiedBundle:
    """Verify a proof bundle offline (DESIGN §5, "Proofs"); raise the first failure.

    Opens the checkpoint with the bundled vkey, which must equal `vkey` when given (pin it:
    otherwise the bundle only proves it is self-consistent). Then, entry by entry in index
    order: inclusion in the checkpoint's tree (RFC 9162 §2.1.3.2), canonical entry format,
    `seq` equal to the index, `log` equal to the checkpoint origin, `prev` where the previous
    entry is bundled too, and the actor's signature under the trust chain replayed from the
    bundled key entries (ledger.registry). The genesis (index 0) must be bundled and no index
    may appear twice.
    """
    if isinstance(bundle, str | bytes):
        bundle = load_bundle(bundle)
    _check_shape(bundle)
    if vkey is not None and bundle["vkey"] != vkey:
        raise CheckpointError(f"bundle vkey: expected {vkey}, found {bundle['vkey']}")
    checkpoint = open_checkpoint(bundle["checkpoint"], Verifier.from_vkey(bundle["vkey"]))
    bundled = sorted(
        (_decode_entry(position, row) for position, row in enumerate(bundle["entries"])),
        key=lambda item: item.index,
    )
    _check_indices(bundled)
    registry = KeyRegistry()
    verified: list[tuple[int, Entry]] = []
    previous: tuple[int, bytes] | None = None  # (index, leaf hash) of the last entry checked
    for item in bundled:
        leaf = leaf_hash(item.data)
        try:
            verify_inclusion(leaf, item.index, checkpoint.size, item.proof, checkpoint.root_hash)
            entry = parse_entry(item.data)
        except LedgerError as exc:
            check = "inclusion" if isinstance(exc, ProofError) else "format"
            raise entry_error(item.index, check, exc) from exc
        _check_position(item.index, entry, checkpoint.origin, previous)
        try:
            verifier = registry.apply(entry)
        except LedgerError as exc:
            raise entry_error(item.index, "trust chain", exc) from exc
        check_signature(item.index, verifier, entry)
        verified.append((item.index, entry))
        previous = item.index, leaf
    return VerifiedBundle(checkpoint, bundle["vkey"], tuple(verified), registry)


def _check_shape(bundle: object) -> None:
    if not isinstance(bundle, dict) or bundle.keys() != _BUNDLE_FIELDS:
        found = sorted(bundle) if isinstance(bundle, dict) else type(bundle).__name__
        raise FormatError(f"bundle: expected fields {sorted(_BUNDLE_FIELDS)}, found {found}")
    for name in ("checkpoint", "vkey"):
        if not isinstance(bundle[name], str):
            raise FormatError(f"bundle {name}: expected a string, found {bundle[name]!r}")
    if not isinstance(bundle["entries"], list):
        raise FormatError(f"bundle entries: expected a list, found {bundle['entries']!r}")


def _decode_entry(position: int, row: object) -> BundledEntry:
    what = f"bundle entries[{position}]"
    if not isinstance(row, dict) or row.keys() != _ENTRY_FIELDS:
        found = sorted(row) if isinstance(row, dict) else type(row).__name__
        raise FormatError(f"{what}: expected fields {sorted(_ENTRY_FIELDS)}, found {found}")
    index, entry, proof = row["index"], row["entry"], row["proof"]
    if type(index) is not int or index < 0:
        raise FormatError(f"{what} index: expected a non-negative integer, found {index!r}")
    if not isinstance(entry, str):
        raise FormatError(f"{what} entry: expected a base64 string, found {entry!r}")
    if not isinstance(proof, list) or not all(isinstance(h, str) for h in proof):
        raise FormatError(f"{what} proof: expected a list of base64 strings, found {proof!r}")
    return BundledEntry(
        index,
        b64decode(entry, f"{what} entry"),
        tuple(b64decode(h, f"{what} proof") for h in proof),
    )


def _check_indices(bundled: list[BundledEntry]) -> None:
    if not bundled or bundled[0].index != 0:
        found = f"entry {bundled[0].index} first" if bundled else "no entries"
        raise ChainError(f"bundle genesis: expected entry 0, found {found}")
    for before, after in pairwise(bundled):
        if before.index == after.index:
            raise FormatError(f"entry {after.index}: bundled twice")


def _check_position(
    index: int, entry: Entry, origin: str, previous: tuple[int, bytes] | None
) -> None:
    if entry.seq != index:
        raise ChainError(f"entry {index}: seq: expected {index}, found {entry.seq}")
    if entry.log != origin:
        raise ChainError(f"entry {index}: log: expected {origin!r}, found {entry.log!r}")
    if previous is not None and previous[0] == index - 1 and entry.prev != previous[1]:
        raise ChainError(
            f"entry {index}: prev: expected {b64encode(previous[1])}, found {b64encode(entry.prev)}"
        )
