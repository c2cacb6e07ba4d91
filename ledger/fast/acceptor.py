"""Accepting checked batches in log order: the checks that depend on the entries before.

The workers (ledger.fast.batch) parse, hash and signature-check a batch of entries and chain
them within it; what needs the log before the batch is done here, in order, on the reference
verifier's state (ledger.verify.LogVerifier): a batch's first `prev`, the trust chain, the
signatures checked under another key than the trust chain names, and the tree. A run of
entries by one actor costs one trust-chain lookup and its tree hashes.
"""

from __future__ import annotations

from collections.abc import Iterable

from ledger.entry import Entry
from ledger.errors import LedgerError
from ledger.fast.batch import CheckedBatch, EntryBatch, Run, SignatureCheck, Special
from ledger.fast.scanner import parse_entry
from ledger.merkle import HASH_SIZE
from ledger.registry import KEY_TYPES
from ledger.verify import (
    LogVerifier,
    SubtreeRun,
    check_signature,
    entry_error,
    log_error,
    prev_error,
    signature_failure,
)


class BatchAcceptor:
    """Accepts the checked batches of one log, in order, raising at the first failing entry."""

    def __init__(self, log: LogVerifier) -> None:
        self.log = log
        self._subtrees: list[SubtreeRun] | None = None
        self._roots_at: list[int] = []  # sizes to note the root at, ascending
        self._next_root = 0  # the first of them not reached yet
        self._roots: dict[int, bytes] = {}

    def watch(self, roots_at: Iterable[int] = ()) -> None:
        """From now on, keep the perfect subtrees the tree completes and its root at each size
        in `roots_at`, for `take_watched` (an audit compares them with stored copies)."""
        self._subtrees = []
        self._roots_at = sorted(size for size in set(roots_at) if size > self.log.size)
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
        log = self.log
        record = None if self._subtrees is None else self._record
        watched, end = self._roots_at, log.size + len(leaves) // HASH_SIZE
        while self._next_root < len(watched) and watched[self._next_root] <= end:
            size = watched[self._next_root]
            cut = (size - log.size) * HASH_SIZE
            if cut:
                log.grow(leaves[:cut], record)
            leaves = leaves[cut:]
            self._roots[size] = log.tree.root()
            self._next_root += 1
        if leaves:
            log.grow(leaves, record)

    def _record(self, level: int, index: int, hashes: list[bytes]) -> None:
        assert self._subtrees is not None
        self._subtrees.append((level, index, hashes))

    def accept_batch(self, checked: CheckedBatch, source: EntryBatch | None = None) -> None:
        """Accept every entry of a checked batch (ledger.fast.batch), then raise its failure.

        `source`, the batch that was checked, is needed only if a worker checked a run's
        signatures under another key than the trust chain names for its actor.
        """
        first = checked.first_index
        if first != self.log.size:
            raise ValueError(f"batch starts at {first}, expected {self.log.size}")
        if checked.count and checked.origin != self.log.origin:
            assert checked.origin is not None
            raise log_error(first, self.log.origin, checked.origin)
        for segment in checked.segments:
            if isinstance(segment, Special):
                self._accept(segment.entry, checked.leaf(segment.position), segment.signature)
            else:
                self._accept_run(checked, segment, source)
        if checked.failure is not None:
            raise checked.failure

    def _accept_run(self, checked: CheckedBatch, run: Run, source: EntryBatch | None) -> None:
        """Accept entries whose seq, log, in-batch prev and signature the worker checked."""
        first = checked.first_index + run.start
        if run.start == 0 and checked.first_prev != self.log.last_leaf:
            assert checked.first_prev is not None
            raise prev_error(first, self.log.last_leaf, checked.first_prev)
        try:
            verifier = self.log.registry.apply_run(
                first, checked.first_index + run.end - 1, run.actor
            )
        except LedgerError as exc:
            raise entry_error(first, "trust chain", exc) from exc
        if verifier.public_key != run.key:
            # Checked under another key than the trust chain names: check here, in order.
            if source is None:
                raise ValueError("checking a run under the trust chain's key needs its batch")
            for position in range(run.start, run.end):
                entry = parse_entry(source.entry_bytes(position))
                check_signature(checked.first_index + position, verifier, entry)
                self._grow(checked.leaf(position))
            return
        self._grow(checked.leaves[run.start * HASH_SIZE : run.end * HASH_SIZE])

    def _accept(self, entry: Entry, leaf: bytes, signature: SignatureCheck | None) -> None:
        """Accept the next entry, given its leaf hash and its signature check, if done."""
        index = self.log.size
        self.log.check_chain(index, entry)
        verifier = self.log.authorize(index, entry)
        if signature is None or signature[0] != verifier.public_key:
            # not checked yet, or under another key than the trust chain names
            check_signature(index, verifier, entry)
        elif not signature[1]:
            raise signature_failure(index, verifier, entry)
        if entry.type in KEY_TYPES:
            self.log.key_entries.append((index, entry.encode()))
        self._grow(leaf)
