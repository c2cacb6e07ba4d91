"""Replaying a log in order: the checks that depend on the entries before (DESIGN §5).

For entry `i`: `seq == i`, `log` is the origin, `prev` is the leaf hash of entry `i - 1`
(32 zero bytes for the genesis), the trust chain admits its actor (ledger.registry), and its
signature verifies under that actor's key. Each accepted leaf is appended to an RFC 6962
§2.1 compact range, whose root a checkpoint must match. The parsing, hashing and signature
work comes ready-made from ledger.batch, so this part stays cheap and sequential.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.batch import CheckedBatch, SignatureCheck
from ledger.entry import GENESIS_PREV, Entry, parse_entry
from ledger.errors import ChainError, FormatError, LedgerError, SignatureError
from ledger.keys import Verifier, b64encode
from ledger.merkle import CompactRange, frontier_keys
from ledger.registry import KEY_REGISTERED, KEY_REVOKED, KeyRegistry

KEY_TYPES = frozenset({KEY_REGISTERED, KEY_REVOKED})


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


def entry_error(index: int, check: str, exc: LedgerError) -> LedgerError:
    """The same kind of error as `exc`, as `entry <index>: <check>: <detail>`."""
    detail = str(exc).removeprefix(f"entry {index}: ")
    error = type(exc)(f"entry {index}: {check}: {detail}")
    error.__cause__ = exc
    return error


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

    def accept_batch(self, checked: CheckedBatch) -> None:
        """Accept every entry of a checked batch, then raise its format failure, if any."""
        if checked.first_index != self.size:
            raise ValueError(f"batch starts at {checked.first_index}, expected {self.size}")
        for entry, leaf, signature in zip(
            checked.entries, checked.leaves, checked.signatures, strict=True
        ):
            self.accept(entry, leaf, signature)
        if checked.failure is not None:
            raise entry_error(self.size, "format", checked.failure)

    def accept(self, entry: Entry, leaf: bytes, signature: SignatureCheck | None) -> None:
        """Accept the next entry, given its leaf hash and its signature check, if done."""
        index = self._compact.size
        if entry.seq != index:
            raise ChainError(f"entry {index}: seq: expected {index}, found {entry.seq}")
        self._check_log(index, entry)
        if entry.prev != self._last_leaf:
            raise ChainError(
                f"entry {index}: prev: expected {b64encode(self._last_leaf)}, "
                f"found {b64encode(entry.prev)}"
            )
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
        self._compact.append(leaf)
        self._last_leaf = leaf

    def _parse(self, index: int, data: bytes) -> Entry:
        try:
            return parse_entry(data)
        except FormatError as exc:
            raise entry_error(index, "format", exc) from exc

    def _check_log(self, index: int, entry: Entry) -> None:
        if entry.log != self.origin:
            raise ChainError(f"entry {index}: log: expected {self.origin!r}, found {entry.log!r}")
