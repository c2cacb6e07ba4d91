"""Replaying a log in order: the checks that depend on the entries before (DESIGN §5).

For entry `i`: `seq == i`, `log` is the origin, `prev` is the leaf hash of entry `i - 1`
(32 zero bytes for the genesis), the trust chain admits its actor (ledger.registry), and its
signature verifies under that actor's key. Each accepted leaf is appended to an RFC 6962
§2.1 compact range, whose root a checkpoint must match. The parsing, hashing, signature and
in-batch chain work comes ready-made from ledger.batch, so this part stays cheap and
sequential: a run of entries by one actor costs one trust-chain lookup and its tree hashes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ledger.batch import (
    CheckedBatch,
    EntryBatch,
    Run,
    SignatureCheck,
    Special,
    entry_error,
    log_error,
    prev_error,
    seq_error,
)
from ledger.entry import GENESIS_PREV, Entry, parse_entry
from ledger.errors import ChainError, FormatError, LedgerError, SignatureError
from ledger.keys import Verifier, b64encode
from ledger.merkle import HASH_SIZE, CompactRange, frontier_keys
from ledger.registry import KEY_TYPES, KeyRegistry

SubtreeRun = tuple[int, int, list[bytes]]
"""(level, index, hashes): the perfect subtrees `index`, `index + 1`, ... of a level."""

__all__ = [
    "KEY_TYPES",
    "LogReplay",
    "LogState",
    "SubtreeRun",
    "check_signature",
    "entry_error",
    "signature_failure",
]


def signature_failure(index: int, verifier: Verifier, entry: Entry) -> SignatureError:
    """The error for entry `index` whose signature does not verify under `verifier`."""
    return SignatureError(
        f"entry {index}: signature: expected a valid Ed25519 signature by "
        f"{verifier.key_name}, found {b64encode(entry.sig)}"
    )


def check_signature(index: int, verifier: Verifier, entry: Entry) -> None:
    """Check the actor's RFC 8032 Ed25519 signature over the statement message (DESIGN §5)."""
    try:
        verifier.verify(entry.signed_message(), entry.sig)
    except SignatureError:
        raise signature_failure(index, verifier, entry) from None


@dataclass(frozen=True)
class LogState:
    """Where a verified replay stopped: enough to continue it without the earlier entries.

    `frontier` holds the hashes of `ledger.merkle.frontier_keys(size)`; `key_entries` every
    `key.registered` and `key.revoked` entry so far, from which the trust chain is rebuilt.
    """

    size: int
    frontier: tuple[bytes, ...]
    last_leaf: bytes
    key_entries: tuple[tuple[int, bytes], ...]


class LogReplay:
    """Accepts the entries of one log, in order, raising at the first one that fails."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.registry = KeyRegistry()
        self._compact = CompactRange()
        self._last_leaf = GENESIS_PREV
        self._subtrees: list[SubtreeRun] | None = None
        self._roots_at: list[int] = []  # sizes to note the root at, ascending
        self._next_root = 0  # the first of them not reached yet
        self._roots: dict[int, bytes] = {}
        self._key_entries: list[tuple[int, bytes]] = []

    @classmethod
    def resume(cls, origin: str, state: LogState) -> LogReplay:
        """Continue after `state`, re-admitting its key entries to rebuild the trust chain."""
        if len(state.frontier) != len(frontier_keys(state.size)):
            raise FormatError(f"log state of size {state.size} has a frontier of the wrong size")
        replay = cls(origin)
        for index, data in state.key_entries:
            if not 0 <= index < state.size:
                raise FormatError(f"log state: key entry {index} is not below size {state.size}")
            entry = replay._parse(index, data)
            if entry.seq != index:
                raise ChainError(f"entry {index}: seq: expected {index}, found {entry.seq}")
            replay._check_log(index, entry)
            try:
                replay.registry.admit(entry)
            except LedgerError as exc:
                raise entry_error(index, "trust chain", exc) from exc
            replay._key_entries.append((index, data))
        replay._compact = CompactRange.from_frontier(state.size, state.frontier)
        replay._last_leaf = state.last_leaf
        return replay

    @property
    def size(self) -> int:
        """Number of entries accepted so far."""
        return self._compact.size

    def root(self) -> bytes:
        """RFC 6962 §2.1 root of the entries accepted so far."""
        return self._compact.root()

    def state(self) -> LogState:
        """A snapshot to resume from later (see `resume`)."""
        return LogState(
            self.size,
            tuple(h for _, _, h in self._compact.frontier()),
            self._last_leaf,
            tuple(self._key_entries),
        )

    def watch(self, roots_at: Iterable[int] = ()) -> None:
        """From now on, keep the perfect subtrees the tree completes and its root at each size
        in `roots_at`, for `take_watched` (an audit compares them with stored copies)."""
        self._subtrees = []
        self._roots_at = sorted(size for size in set(roots_at) if size > self.size)
        self._next_root = 0

    def take_watched(self) -> tuple[list[SubtreeRun], dict[int, bytes]]:
        """The subtrees completed and the roots reached since the last call (see `watch`)."""
        subtrees = self._subtrees or []
        if self._subtrees is not None:
            self._subtrees = []
        roots, self._roots = self._roots, {}
        return subtrees, roots

    def _grow(self, leaves: bytes) -> None:
        """Append leaf hashes to the tree (RFC 6962 §2.1), noting what `watch` asked for."""
        record = None if self._subtrees is None else self._record
        watched, end = self._roots_at, self._compact.size + len(leaves) // HASH_SIZE
        while self._next_root < len(watched) and watched[self._next_root] <= end:
            size = watched[self._next_root]
            cut = (size - self._compact.size) * HASH_SIZE
            self._compact.extend(leaves[:cut], record)
            leaves = leaves[cut:]
            self._roots[size] = self._compact.root()
            self._next_root += 1
        self._compact.extend(leaves, record)

    def _record(self, level: int, index: int, hashes: list[bytes]) -> None:
        assert self._subtrees is not None
        self._subtrees.append((level, index, hashes))

    def accept_batch(self, checked: CheckedBatch, source: EntryBatch | None = None) -> None:
        """Accept every entry of a checked batch (ledger.batch), then raise its failure, if any.

        `source`, the batch that was checked, is needed only if a worker checked a run's
        signatures under another key than the trust chain names for its actor.
        """
        first = checked.first_index
        if first != self.size:
            raise ValueError(f"batch starts at {first}, expected {self.size}")
        if checked.count and checked.origin != self.origin:
            assert checked.origin is not None
            raise log_error(first, self.origin, checked.origin)
        for segment in checked.segments:
            if isinstance(segment, Special):
                self.accept(segment.entry, checked.leaf(segment.position), segment.signature)
            else:
                self._accept_run(checked, segment, source)
        if checked.failure is not None:
            raise checked.failure

    def _accept_run(self, checked: CheckedBatch, run: Run, source: EntryBatch | None) -> None:
        """Accept entries whose seq, log, in-batch prev and signature the worker checked."""
        first = checked.first_index + run.start
        if run.start == 0 and checked.first_prev != self._last_leaf:
            assert checked.first_prev is not None
            raise prev_error(first, self._last_leaf, checked.first_prev)
        try:
            verifier = self.registry.apply_run(first, checked.first_index + run.end - 1, run.actor)
        except LedgerError as exc:
            raise entry_error(first, "trust chain", exc) from exc
        leaves = checked.leaves[run.start * HASH_SIZE : run.end * HASH_SIZE]
        if verifier.public_key != run.key:
            # Checked under another key than the trust chain names: check here, in order.
            if source is None:
                raise ValueError("checking a run under the trust chain's key needs its batch")
            for position in range(run.start, run.end):
                entry = parse_entry(source.entry_bytes(position))
                check_signature(checked.first_index + position, verifier, entry)
                leaf = checked.leaf(position)
                self._grow(leaf)
                self._last_leaf = leaf
            return
        self._grow(leaves)
        self._last_leaf = leaves[-HASH_SIZE:]

    def accept(self, entry: Entry, leaf: bytes, signature: SignatureCheck | None) -> None:
        """Accept the next entry, given its leaf hash and its signature check, if done."""
        index = self._compact.size
        if entry.seq != index:
            raise seq_error(index, entry.seq)
        self._check_log(index, entry)
        if entry.prev != self._last_leaf:
            raise prev_error(index, self._last_leaf, entry.prev)
        try:
            verifier = self.registry.apply(entry)
        except LedgerError as exc:
            raise entry_error(index, "trust chain", exc) from exc
        if signature is None or signature[0] != verifier.public_key:
            # not checked yet, or under another key than the trust chain names
            check_signature(index, verifier, entry)
        elif not signature[1]:
            raise signature_failure(index, verifier, entry)
        if entry.type in KEY_TYPES:
            self._key_entries.append((index, entry.encode()))
        self._grow(leaf)
        self._last_leaf = leaf

    def _parse(self, index: int, data: bytes) -> Entry:
        try:
            return parse_entry(data)
        except FormatError as exc:
            raise entry_error(index, "format", exc) from exc

    def _check_log(self, index: int, entry: Entry) -> None:
        if entry.log != self.origin:
            raise log_error(index, self.origin, entry.log)
