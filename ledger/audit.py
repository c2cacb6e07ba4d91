"""A remote auditor reading a log through its tiles (c2sp.org/tlog-tiles, DESIGN §7.1).

The log is a URL prefix (the application's ``/ledger``, or a static mirror written by
``traceapp ledger publish``) or a mirror's directory (`ledger.tile_fetch`). Each run opens the
latest checkpoint with the log key PINNED in the state file (from ``--vkey`` on the first run,
never from the log), checks the witnesses' cosignatures when asked, recomputes the root from
the tiles (`ledger.tiles.TreeTiles`), and checks that the checkpoint accepted last time is a
prefix of this tree: its root recomputed from the same tiles. A smaller size, a different root
at the same size or an old root that is not a prefix is a fork: both signed checkpoints are
written to an evidence file next to the state file. With ``entries`` it also reads the entry
bundles added since the entries were last verified, checks each leaf hash against its level-0
tile and verifies the entries (ledger.fast.verify, resumed from the saved trust chain). The
witnesses seen cosigning are kept in the state. The state is replaced only when all verified.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ledger.audit_state import (
    DEFAULT_STATE_FILE,
    EVIDENCE_TYPE,
    AuditState,
    AuditStateError,
    SeenWitness,
    load_state,
    save_state,
    write_evidence,
)
from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.cosignature import Cosignature
from ledger.errors import FormatError, ProofError, VerificationError
from ledger.fast.verify import verify_log
from ledger.keys import Verifier, b64encode
from ledger.merkle import leaf_hash
from ledger.note import parse_note
from ledger.tile_fetch import FetchError, Missing, TileSource, open_source
from ledger.tiles import TILE_WIDTH, TileId, TreeTiles
from ledger.trust import TrustPolicy
from ledger.verify import ProgressCallback

__all__ = [
    "DEFAULT_STATE_FILE",
    "EVIDENCE_TYPE",
    "AuditResult",
    "AuditStateError",
    "FetchError",
    "ForkError",
    "audit",
    "load_state",
]


class ForkError(VerificationError):
    """The log contradicts a checkpoint it signed before; `evidence` is the file proving it."""

    def __init__(self, message: str, evidence: Path) -> None:
        super().__init__(f"{message}; evidence written to {evidence}")
        self.evidence = evidence


@dataclass(frozen=True)
class AuditResult:
    """A successful audit: the checkpoint now accepted, what was new, the witnesses seen."""

    checkpoint: Checkpoint
    previous_size: int
    witnesses: tuple[SeenWitness, ...]
    """Cosignatures on this checkpoint, verified or not."""
    trusted: str | None = None
    """Set when the first run trusted the served key instead of a pinned one: which key."""

    @property
    def new_entries(self) -> int:
        """Entries added since the last accepted checkpoint."""
        return self.checkpoint.size - self.previous_size


def audit(
    location: str,
    state_path: Path,
    *,
    vkey: str | None = None,
    trust_served_key: bool = False,
    policy: TrustPolicy | None = None,
    entries: bool = False,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    timeout: float = 30.0,
) -> AuditResult:
    """Audit the log at `location` once, continuing from `state_path` (created on the first run).

    Spec: c2sp.org/tlog-tiles, tlog-checkpoint, tlog-cosignature; RFC 6962 §2.1. Raises
    AuditStateError (no pinned key, unreadable state), FetchError (network, files), ForkError
    (with the evidence file) and the verifiers' errors for anything that does not verify.

    The first run pins `vkey`, or with `trust_served_key` the key the log serves at ``vkey``
    (trust on first use: the result's `trusted` says so). `policy`'s witnesses, if any, must
    have cosigned the checkpoint (its quorum) before anything is accepted.
    """
    state = load_state(state_path)
    source = open_source(location, timeout)
    trusted = None
    if state is None and vkey is None and trust_served_key:
        try:
            vkey = source.text("vkey").strip()
        except Missing:
            raise AuditStateError(
                f"{source.where} serves no vkey: the first audit needs the log's vkey (--vkey)"
            ) from None
        trusted = f"the key served by {source.where}/vkey: {vkey}"
    pinned = _pinned_vkey(state, vkey, state_path)
    note = source.checkpoint()
    new = open_checkpoint(note, Verifier.from_vkey(pinned))
    cosignatures = policy.check_cosignatures(note) if policy and policy.witnesses else []
    tiles = _tree_tiles(source, new)
    previous_size = 0
    log = None if state is None else state.entries
    if state is not None:
        old = open_checkpoint(state.checkpoint, Verifier.from_vkey(pinned))
        _check_consistent(tiles, state_path, source.where, pinned, (state.checkpoint, old), note)
        previous_size = old.size
    if entries:
        start = 0 if log is None else log.size
        stream = checked_entries(source, tiles, start, new.size)
        log = verify_log(stream, note, pinned, jobs=jobs, progress=progress, resume=log).state
    seen = seen_witnesses(note, new, pinned, cosignatures, policy)
    kept = {w.name: w for w in (() if state is None else state.witnesses)}
    kept.update((w.name, w) for w in seen)
    save_state(state_path, AuditState(pinned, note, log, tuple(kept.values())))
    return AuditResult(new, previous_size, seen, trusted)


def _pinned_vkey(state: AuditState | None, vkey: str | None, state_path: Path) -> str:
    if state is None:
        if vkey is None:
            raise AuditStateError(
                f"no state file {state_path}: the first audit needs the log's vkey (--vkey), "
                "or --trust-embedded-key to trust the key the log serves"
            )
        try:
            Verifier.from_vkey(vkey)  # refuse a malformed key before pinning it
        except FormatError as exc:
            raise AuditStateError(f"--vkey: {exc}") from exc
        return vkey
    if vkey is not None and vkey != state.vkey:
        raise AuditStateError(f"--vkey {vkey} differs from {state.vkey} pinned in {state_path}")
    return state.vkey


def _tree_tiles(source: TileSource, checkpoint: Checkpoint) -> TreeTiles | None:
    if checkpoint.size == 0:
        return None

    def fetch(tile: TileId) -> list[bytes]:
        return source.tile(tile)

    return TreeTiles(fetch, checkpoint.size, checkpoint.root_hash)


def _check_consistent(
    tiles: TreeTiles | None,
    state_path: Path,
    where: str,
    pinned: str,
    old: tuple[str, Checkpoint],
    new_note: str,
) -> None:
    """Raise ForkError, writing the evidence, unless the tree of `tiles` extends `old`."""
    old_note, old_cp = old
    new_size = 0 if tiles is None else tiles.size
    prefix_root = None
    if new_size < old_cp.size:
        problem = (
            f"rollback: checkpoint size: expected at least {old_cp.size} (audited before), "
            f"found {new_size}"
        )
    elif old_cp.size == 0 or tiles is None:
        return
    else:
        prefix_root = tiles.root_at(old_cp.size)
        if prefix_root == old_cp.root_hash:
            return
        if new_size == old_cp.size:
            problem = (
                f"fork: checkpoint root at size {new_size}: expected "
                f"{b64encode(old_cp.root_hash)} (audited before), found {b64encode(prefix_root)}"
            )
        else:
            problem = (
                f"fork: the tree of size {new_size} does not extend the one audited before: its "
                f"first {old_cp.size} leaves hash to {b64encode(prefix_root)}, expected "
                f"{b64encode(old_cp.root_hash)}"
            )
    evidence = {
        "type": EVIDENCE_TYPE,
        "url": where,
        "vkey": pinned,
        "problem": problem,
        "observed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "old_checkpoint": old_note,
        "new_checkpoint": new_note,
        "old_size_root_from_new_tiles": None if prefix_root is None else b64encode(prefix_root),
    }
    raise ForkError(problem, write_evidence(state_path, evidence))


def checked_entries(
    source: TileSource, tiles: TreeTiles | None, start: int, stop: int
) -> Iterator[tuple[int, bytes]]:
    """`(index, entry)` for `start <= index < stop` from the entry bundles, each entry's leaf
    hash checked against its (checked) level-0 tile first."""
    if tiles is None:
        return
    for number in range(start // TILE_WIDTH, (stop + TILE_WIDTH - 1) // TILE_WIDTH):
        first = number * TILE_WIDTH
        bundle = TileId("entries", number, min(TILE_WIDTH, stop - first))
        found = source.bundle(bundle)
        leaves = tiles.hashes(0, number)
        for offset in range(max(0, start - first), bundle.width):
            data, index = found[offset], first + offset
            if leaf_hash(data) != leaves[offset]:
                raise ProofError(
                    f"entry {index}: leaf hash: expected {b64encode(leaves[offset])} "
                    f"(tile/0 {number}), found {b64encode(leaf_hash(data))} ({bundle.path})"
                )
            yield index, data


def seen_witnesses(
    note: str,
    checkpoint: Checkpoint,
    pinned: str,
    verified: list[Cosignature],
    policy: TrustPolicy | None,
) -> tuple[SeenWitness, ...]:
    """Every signature on `note` but the log's: the given witnesses' (verified) by vkey, the
    others by name and key ID (not checked: their keys were not given)."""
    log_key = Verifier.from_vkey(pinned)
    known = {w.key_name: w.vkey for w in (policy.witnesses if policy else ())}
    times = {c.cosigner: c.timestamp for c in verified}
    root = b64encode(checkpoint.root_hash)
    seen: dict[str, SeenWitness] = {}
    for signature in parse_note(note).signatures:
        if (signature.name, signature.key_id) == (log_key.name, log_key.key_id):
            continue
        name = signature.key_name
        if name in times:
            seen[signature.name] = SeenWitness(
                signature.name, known[name], True, checkpoint.size, root, times[name]
            )
        elif signature.name not in seen:
            key = signature.key_id.hex()
            seen[signature.name] = SeenWitness(
                signature.name, key, False, checkpoint.size, root, None
            )
    return tuple(seen.values())
