"""Verifying a whole log against its signed checkpoint, one entry after another (reference).

This module decides what a log's verdict is; `ledger.fast.verify` reaches the same verdict,
with the same error, on every core. For entry `i` of the log, in order (DESIGN §5):

1. `format`: the bytes are a v1 entry in RFC 8785 canonical form (ledger.entry.parse_entry);
2. `seq` is `i`, `log` is the checkpoint's origin, `prev` is the RFC 6962 §2.1 leaf hash of
   entry `i - 1` (32 zero bytes for the genesis);
3. `trust chain`: the actor's key was registered by an earlier entry and not revoked, and may
   make this statement (ledger.registry);
4. `signature`: the actor's Ed25519 signature (RFC 8032 §5.1.7) over the statement message;
5. the leaf joins the RFC 6962 §2.1 tree, whose size and root must be the checkpoint's
   (c2sp.org/tlog-checkpoint), signed by the log's vkey (c2sp.org/signed-note).

Verification never returns False: it raises a LedgerError naming the entry, the check, what
was expected and what was found (`entry 7: prev: expected ..., found ...`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.entry import GENESIS_PREV, Entry, parse_entry
from ledger.errors import ChainError, CheckpointError, FormatError, LedgerError, SignatureError
from ledger.keys import Verifier, b64encode
from ledger.merkle import HASH_SIZE, CompactRange, CompletedSubtrees, frontier_keys, leaf_hash
from ledger.registry import KEY_TYPES, KeyRegistry

ProgressCallback = Callable[[int, int], None]
"""Called as `progress(entries_verified, checkpoint_size)` as the verification goes."""

SubtreeRun = tuple[int, int, list[bytes]]
"""(level, index, hashes): the perfect subtrees `index`, `index + 1`, ... of a level."""


@dataclass(frozen=True)
class LogState:
    """Where a verified log ended: enough to continue it without the earlier entries.

    `frontier` holds the hashes of `ledger.merkle.frontier_keys(size)`; `key_entries` every
    `key.registered` and `key.revoked` entry so far, from which the trust chain is rebuilt.
    """

    size: int
    frontier: tuple[bytes, ...]
    last_leaf: bytes
    key_entries: tuple[tuple[int, bytes], ...]


@dataclass(frozen=True)
class VerifiedLog:
    """A log that verified against `checkpoint`: its trust chain and where it ended."""

    checkpoint: Checkpoint
    registry: KeyRegistry
    state: LogState

    @property
    def size(self) -> int:
        """Number of entries, the checkpoint's size."""
        return self.checkpoint.size

    @property
    def root(self) -> bytes:
        """RFC 6962 §2.1 root hash, the checkpoint's."""
        return self.checkpoint.root_hash


@dataclass(frozen=True)
class AcceptedEntries:
    """Entries that verified, for an observer (an audit of stored copies, say)."""

    first_index: int
    leaves: bytes
    """Their RFC 6962 §2.1 leaf hashes, 32 bytes each, concatenated."""
    types: Sequence[str]
    actors: Sequence[str]
    subtrees: Sequence[SubtreeRun] = ()
    """The perfect subtrees of the RFC 6962 §2.1 tree these entries completed, level by level
    (`CompactRange.extend`): the leaves at level 0, and every subtree hash above."""
    roots: Mapping[int, bytes] = field(default_factory=dict)
    """The tree's root at each of the `roots_at` sizes these entries reached."""

    @property
    def count(self) -> int:
        """How many entries."""
        return len(self.leaves) // HASH_SIZE


Observer = Callable[[AcceptedEntries], None]
"""Called with each stretch of accepted entries, in order, before any failure after them is
raised; whatever it raises ends the verification."""


def entry_error(index: int, check: str, exc: LedgerError) -> LedgerError:
    """The same kind of error as `exc`, as `entry <index>: <check>: <detail>`."""
    detail = str(exc).removeprefix(f"entry {index}: ")
    error = type(exc)(f"entry {index}: {check}: {detail}")
    error.__cause__ = exc
    return error


def seq_error(index: int, seq: int) -> ChainError:
    """Entry `index` says it is entry `seq`."""
    return ChainError(f"entry {index}: seq: expected {index}, found {seq}")


def log_error(index: int, origin: str, log: str) -> ChainError:
    """Entry `index` names another log than `origin`."""
    return ChainError(f"entry {index}: log: expected {origin!r}, found {log!r}")


def prev_error(index: int, expected: bytes | str, found: bytes | str) -> ChainError:
    """Entry `index`'s `prev` is not the leaf hash of the entry before (base64 or bytes)."""
    expected_text = expected if isinstance(expected, str) else b64encode(expected)
    found_text = found if isinstance(found, str) else b64encode(found)
    return ChainError(f"entry {index}: prev: expected {expected_text}, found {found_text}")


def index_error(position: int, found: int) -> ChainError:
    """The input gave entry `found` where entry `position` comes."""
    return ChainError(f"entry {position}: index: expected {position}, found {found}")


def beyond_checkpoint(position: int, limit: int) -> CheckpointError:
    """The input has an entry `position` beyond the checkpoint's `limit` entries."""
    return CheckpointError(
        f"entry {position}: checkpoint size: expected {limit} entries, found more"
    )


def signature_failure(index: int, verifier: Verifier, entry: Entry) -> SignatureError:
    """The error for entry `index` whose signature does not verify under `verifier`."""
    return SignatureError(
        f"entry {index}: signature: expected a valid Ed25519 signature by "
        f"{verifier.key_name}, found {b64encode(entry.sig)}"
    )


def check_signature(index: int, verifier: Verifier, entry: Entry) -> None:
    """The actor's Ed25519 signature (RFC 8032 §5.1.7) over the statement message (DESIGN §5)."""
    try:
        verifier.verify(entry.signed_message(), entry.sig)
    except SignatureError:
        raise signature_failure(index, verifier, entry) from None


class LogVerifier:
    """One log's entries, accepted in order: its trust chain, tree and last leaf hash."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.registry = KeyRegistry()
        self.tree = CompactRange()
        self.last_leaf = GENESIS_PREV
        self.key_entries: list[tuple[int, bytes]] = []

    @classmethod
    def resume(cls, origin: str, state: LogState) -> LogVerifier:
        """Continue after `state`, re-admitting its key entries to rebuild the trust chain.

        The tree resumes from its RFC 6962 §2.1 right frontier; the trust chain (DESIGN §5)
        from every key statement so far.
        """
        if len(state.frontier) != len(frontier_keys(state.size)):
            raise FormatError(f"log state of size {state.size} has a frontier of the wrong size")
        log = cls(origin)
        for index, data in state.key_entries:
            if not 0 <= index < state.size:
                raise FormatError(f"log state: key entry {index} is not below size {state.size}")
            entry = _parse(index, data)
            if entry.seq != index:
                raise seq_error(index, entry.seq)
            if entry.log != origin:
                raise log_error(index, origin, entry.log)
            try:
                log.registry.admit(entry)
            except LedgerError as exc:
                raise entry_error(index, "trust chain", exc) from exc
            log.key_entries.append((index, data))
        log.tree = CompactRange.from_frontier(state.size, state.frontier)
        log.last_leaf = state.last_leaf
        return log

    @classmethod
    def start(cls, checkpoint: Checkpoint, resume: LogState | None) -> LogVerifier:
        """A verifier for the log of `checkpoint`, from the start or from `resume`."""
        log = cls(checkpoint.origin) if resume is None else cls.resume(checkpoint.origin, resume)
        if checkpoint.size < log.size:
            raise CheckpointError(
                f"checkpoint size: expected at least the {log.size} entries verified before, "
                f"found {checkpoint.size}"
            )
        return log

    @property
    def size(self) -> int:
        """Number of entries accepted so far."""
        return self.tree.size

    def state(self) -> LogState:
        """A snapshot to resume from later (see `resume`)."""
        frontier = tuple(h for _, _, h in self.tree.frontier())
        return LogState(self.size, frontier, self.last_leaf, tuple(self.key_entries))

    def append(self, data: bytes, completed: CompletedSubtrees | None = None) -> Entry:
        """Check entry `self.size` in full and accept it; `completed` sees the new subtrees.

        The checks 1-5 of this module's docstring (DESIGN §5), in that order.
        """
        index = self.size
        entry = _parse(index, data)
        self.check_chain(index, entry)
        check_signature(index, self.authorize(index, entry), entry)
        if entry.type in KEY_TYPES:
            self.key_entries.append((index, data))
        self.grow(leaf_hash(data), completed)
        return entry

    def check_chain(self, index: int, entry: Entry) -> None:
        """`seq` is the index, `log` the origin, `prev` the last leaf hash (DESIGN §5)."""
        if entry.seq != index:
            raise seq_error(index, entry.seq)
        if entry.log != self.origin:
            raise log_error(index, self.origin, entry.log)
        if entry.prev != self.last_leaf:
            raise prev_error(index, self.last_leaf, entry.prev)

    def authorize(self, index: int, entry: Entry) -> Verifier:
        """Apply `entry` to the trust chain (DESIGN §5, ledger.registry); the key that signed it."""
        try:
            return self.registry.apply(entry)
        except LedgerError as exc:
            raise entry_error(index, "trust chain", exc) from exc

    def grow(self, leaves: bytes, completed: CompletedSubtrees | None = None) -> None:
        """Append accepted entries' leaf hashes to the RFC 6962 §2.1 tree."""
        self.tree.extend(leaves, completed)
        self.last_leaf = leaves[-HASH_SIZE:]

    def finish(self, checkpoint: Checkpoint) -> VerifiedLog:
        """The checkpoint's size and root must be this log's (c2sp.org/tlog-checkpoint)."""
        if self.size != checkpoint.size:
            raise CheckpointError(
                f"checkpoint size: expected {checkpoint.size} entries, found {self.size}"
            )
        root = self.tree.root()
        if root != checkpoint.root_hash:
            raise CheckpointError(
                f"checkpoint root: expected {b64encode(checkpoint.root_hash)}, "
                f"found {b64encode(root)} for {self.size} entries"
            )
        return VerifiedLog(checkpoint, self.registry, self.state())


def _parse(index: int, data: bytes) -> Entry:
    """Check 1, `format`: a v1 entry in RFC 8785 canonical form (DESIGN §5)."""
    try:
        return parse_entry(data)
    except FormatError as exc:
        raise entry_error(index, "format", exc) from exc


def verify_log(
    entries: Iterable[tuple[int, bytes]],
    checkpoint_note: str | bytes,
    vkey: str,
    *,
    resume: LogState | None = None,
    progress: ProgressCallback | None = None,
    observer: Observer | None = None,
    roots_at: Iterable[int] = (),
) -> VerifiedLog:
    """Verify `(index, entry bytes)` pairs, in order, against a checkpoint signed by `vkey`.

    Spec: DESIGN §5, c2sp.org/tlog-checkpoint, c2sp.org/signed-note, RFC 6962 §2.1. With
    `resume`, `entries` continue a log verified before. `observer` sees each accepted entry
    (and the tree's root at the sizes in `roots_at`) before the next one is read.

    Raises FormatError for a bad vkey or entry, CheckpointError or SignatureError for a
    checkpoint that is not the log key's or does not match the entries, ChainError and
    SignatureError for entries that do not continue the log.
    """
    checkpoint = open_checkpoint(checkpoint_note, Verifier.from_vkey(vkey))
    log = LogVerifier.start(checkpoint, resume)
    wanted = frozenset(roots_at)
    for index, data in entries:
        position = log.size
        if index != position:
            raise index_error(position, index)
        if position >= checkpoint.size:
            raise beyond_checkpoint(position, checkpoint.size)
        subtrees: list[SubtreeRun] = []
        entry = log.append(data, None if observer is None else _collect(subtrees))
        if observer is not None:
            roots = {log.size: log.tree.root()} if log.size in wanted else {}
            observer(
                AcceptedEntries(
                    position, log.last_leaf, (entry.type,), (entry.actor,), subtrees, roots
                )
            )
        if progress is not None:
            progress(log.size, checkpoint.size)
    return log.finish(checkpoint)


def _collect(subtrees: list[SubtreeRun]) -> CompletedSubtrees:
    return lambda level, index, hashes: subtrees.append((level, index, hashes))
