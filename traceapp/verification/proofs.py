"""Inclusion of ledger entries in the latest checkpoint, from stored hashes in few queries."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ledger.checkpoint import open_checkpoint
from ledger.errors import LedgerError
from ledger.merkle import frontier_keys, leaf_hash
from ledger.proof_verification import verify_inclusion
from ledger.tree_store import HashStore, inclusion_proof
from traceapp.ledger_store import reads
from traceapp.ledger_store.models import LedgerCheckpoint, LedgerEntry
from traceapp.ledger_store.store import SqlHashStore
from traceapp.ledger_store.writer import Ledger
from traceapp.verification.model import EntryProof, ProofReport

_PLACEHOLDER = bytes(32)


class _KeyRecorder:
    """A dry-run store: records the subtree keys proofs need, so one query fetches them all."""

    def __init__(self) -> None:
        self.keys: dict[tuple[int, int], None] = {}

    def get(self, level: int, index: int) -> bytes:
        return self.get_many([(level, index)])[0]

    def get_many(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        self.keys.update(dict.fromkeys(keys))
        return [_PLACEHOLDER] * len(keys)


class _DictStore:
    def __init__(self, hashes: dict[tuple[int, int], bytes]) -> None:
        self.hashes = hashes

    def get(self, level: int, index: int) -> bytes:
        return self.hashes[(level, index)]

    def get_many(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.hashes[key] for key in keys]


def prefetched_store(store: HashStore, indices: Iterable[int], size: int) -> HashStore:
    """A store holding every hash the inclusion proofs of ``indices`` at ``size`` read.

    RFC 6962 proofs of k entries need O(k log n) subtree hashes; fetching them in one
    ``get_many`` turns k round trips into one.
    """
    recorder = _KeyRecorder()
    recorder.get_many(frontier_keys(size))  # the root at ``size``, for builders that check it
    for index in indices:
        recorder.get(0, index)
        inclusion_proof(recorder, index, size)
    keys = list(recorder.keys)
    return _DictStore(dict(zip(keys, store.get_many(keys), strict=True)))


class StoredEntry(NamedTuple):
    type: str
    """The ``type`` column (an index; what the page shows comes from the entry bytes)."""
    data: bytes


class Head(NamedTuple):
    """A stored checkpoint as read: its size, the stored root hash and the signed note."""

    size: int
    root_hash: bytes
    note: str


class _Checkpoint(Protocol):
    @property
    def size(self) -> int: ...
    @property
    def root_hash(self) -> bytes: ...
    @property
    def note(self) -> str: ...


def latest(session: Session, ledger: Ledger) -> LedgerCheckpoint:
    return reads.latest_checkpoint(session, ledger.origin)


# Per process: checkpoints whose signature already verified, by their exact note text (a
# checkpoint is never re-signed, so a different text is a different checkpoint). Proofs are
# still recomputed from the stored hashes on every request.
_OPENED: dict[tuple[str, int], tuple[str, bytes, int, bool]] = {}
_KEEP = 4


def _opened(ledger: Ledger, row: _Checkpoint) -> tuple[bytes, int, bool]:
    """The checkpoint's root and size, and whether its signature verified (cached per note)."""
    key = (ledger.log.vkey, row.size)  # the same note under another log key is another case
    cached = _OPENED.get(key)
    if cached is not None and cached[0] == row.note:
        return cached[1], cached[2], cached[3]
    try:
        checkpoint = open_checkpoint(row.note, ledger.log.verifier)
        result = (checkpoint.root_hash, checkpoint.size, True)
    except LedgerError:
        result = (row.root_hash, row.size, False)
    if len(_OPENED) >= _KEEP:
        _OPENED.clear()
    if result[2]:
        _OPENED[key] = (row.note, *result)
    return result


def check_entries(
    session: Session, ledger: Ledger, subjects: dict[int, str], *, head: _Checkpoint | None = None
) -> ProofReport:
    """Verify each entry (seq -> what it is about) against the latest signed checkpoint.

    ``head``: that checkpoint, when the caller has read it already. Reads the entries and
    proves them (``prove``).
    """
    row = head if head is not None else latest(session, ledger)
    return prove(session, ledger, subjects, fetch_entries(session, ledger, subjects, row.size), row)


def fetch_entries(
    session: Session,
    ledger: Ledger,
    seqs: Iterable[int],
    size: int,
    *,
    product_updates: tuple[int, int] | None = None,
    location_updates: Iterable[tuple[int, int]] = (),
) -> dict[int, StoredEntry]:
    """The stored bytes of the entries ``seqs`` below ``size``, in one query.

    ``product_updates``: (after, through): also every ``product.updated`` entry in that index
    range (the caller keeps those of its product): a product's shown fields are the fold of
    all its updates, and its row names only the last one. ``location_updates``: the same for
    ``location.updated`` entries, one range per place shown.
    """
    wanted = sorted(seq for seq in seqs if seq < size)
    condition: ColumnElement[bool] = LedgerEntry.seq.in_(wanted)
    if product_updates is not None:
        after, through = product_updates
        condition = condition | (
            (LedgerEntry.type == "product.updated")
            & (LedgerEntry.seq > after)
            & (LedgerEntry.seq <= through)
            & (LedgerEntry.seq < size)
        )
    for after, through in sorted(set(location_updates)):
        condition = condition | (
            (LedgerEntry.type == "location.updated")
            & (LedgerEntry.seq > after)
            & (LedgerEntry.seq <= through)
            & (LedgerEntry.seq < size)
        )
    rows = session.execute(
        select(LedgerEntry.seq, LedgerEntry.type, LedgerEntry.entry).where(
            LedgerEntry.log == ledger.origin, condition
        )
    ).all()
    return {seq: StoredEntry(kind, data) for seq, kind, data in rows}


def prove(
    session: Session,
    ledger: Ledger,
    subjects: dict[int, str],
    entries: dict[int, StoredEntry],
    row: _Checkpoint,
) -> ProofReport:
    """Prove the entries (seq -> what it is about; ``entries``: their stored bytes) in ``row``.

    The checkpoint's signature is checked with the log key; each entry's leaf hash is
    recomputed from its stored bytes and its inclusion proof verified against the root
    (RFC 9162 §2.1.3.2). Entries added after the checkpoint cannot occur: the checkpoint is
    signed in the same transaction as every append.
    """
    root, size, signed = _opened(ledger, row)
    present = [seq for seq in subjects if seq in entries and seq < size]
    store = prefetched_store(SqlHashStore(session, ledger.origin), present, size)
    results = []
    for seq in sorted(subjects):
        stored = entries.get(seq) if seq < size else None
        if stored is None:
            results.append(EntryProof(seq, "", subjects[seq], "", False, "not in checkpoint"))
            continue
        leaf = leaf_hash(stored.data)
        error = None
        try:
            verify_inclusion(leaf, seq, size, inclusion_proof(store, seq, size), root)
        except LedgerError as exc:
            error = str(exc)
        results.append(
            EntryProof(seq, stored.type, subjects[seq], _b64(leaf), error is None, error)
        )
    return ProofReport(size, _b64(root), signed, tuple(results))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
