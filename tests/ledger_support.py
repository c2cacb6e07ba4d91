"""Builds real ledger logs with the ledger library, for the verifier, bundle and audit tests.

`SampleLog` starts with a genesis admin key, then registers and revokes keys, appends signed
statements, signs checkpoints with the log key and writes exports and bundles, exactly as the
application does. Tests tamper with the bytes it produces.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.bundle import build_bundle
from ledger.checkpoint import Checkpoint
from ledger.entry import statement_message
from ledger.export import EXPORT_TYPE, write_export
from ledger.fast.verify import verify_log
from ledger.merkle import CompactRange, leaf_hash
from ledger.registry import KEY_REGISTERED, KEY_REVOKED
from ledger.signing import Signer, build_entry, format_recorded, sign_checkpoint
from ledger.tree_store import MemoryHashStore, root_at

ORIGIN = "truyxuat.ocop.example.vn/log"
START = datetime(2026, 11, 28, 14, 42, 43, 123000, tzinfo=UTC)


def make_signer(name: str, number: int) -> Signer:
    """A deterministic key named `name` (seed: 32 bytes of `number`)."""
    return Signer.from_seed(name, bytes([number]) * 32)


LOG_KEY = make_signer(ORIGIN, 90)
ADMIN = make_signer("truyxuat.ocop.example.vn/admin", 1)
ADMIN_2 = make_signer("truyxuat.ocop.example.vn/admin-2", 2)
PRODUCER = make_signer("truyxuat.ocop.example.vn/htx-ta-phin", 3)
PRODUCER_2 = make_signer("truyxuat.ocop.example.vn/hop-tac-xa-che", 4)
OUTSIDER = make_signer("attacker.example/key", 5)


def event_statement(number: int) -> dict[str, Any]:
    """A small `event.recorded` statement, different for each number."""
    return {
        "eventID": f"ni:///sha-256;{number:064x}?ver=CBV2.0",
        "bizStep": "shipping",
        "product": "Trà Shan tuyết Cổ thụ",
        "quantity": number,
    }


def registration(signer: Signer, role: str, producer: str | None = None) -> dict[str, Any]:
    """A `key.registered` statement for `signer`."""
    return {"vkey": signer.vkey, "role": role, "producer": producer}


@dataclass(frozen=True)
class Recipe:
    """How an entry was made, so a rewritten log can make it again."""

    signer: Signer
    type: str
    statement: dict[str, Any]


class SampleLog:
    """An in-memory log: entry bytes, the RFC 6962 hash store, and the log key."""

    def __init__(self, origin: str = ORIGIN, log_key: Signer = LOG_KEY) -> None:
        self.origin = origin
        self.log_key = log_key
        self.entries: list[bytes] = []
        self.recipes: list[Recipe | None] = []
        self.store = MemoryHashStore()
        self._compact = CompactRange()
        self.append(ADMIN, KEY_REGISTERED, registration(ADMIN, "admin"))

    @property
    def size(self) -> int:
        return len(self.entries)

    @property
    def vkey(self) -> str:
        return self.log_key.verifier.vkey

    def make_entry(
        self,
        signer: Signer,
        statement_type: str,
        statement: dict[str, Any],
        *,
        actor: str | None = None,
        log: str | None = None,
        prev: bytes | None = None,
    ) -> bytes:
        """The next entry's bytes, signed by `signer` (who may differ from `actor`)."""
        actor = actor or signer.key_name
        sig = signer.sign(statement_message(actor, statement_type, statement))
        if prev is None:
            prev = self.store.get(0, self.size - 1) if self.entries else bytes(32)
        recorded = format_recorded(START + timedelta(milliseconds=self.size))
        return build_entry(
            log or self.origin, self.size, prev, recorded, statement_type, actor, statement, sig
        )

    def append(self, signer: Signer, statement_type: str, statement: dict[str, Any]) -> int:
        """Append a properly made entry; return its index."""
        index = self.append_data(self.make_entry(signer, statement_type, statement))
        self.recipes[index] = Recipe(signer, statement_type, statement)
        return index

    def append_data(self, data: bytes) -> int:
        """Append arbitrary bytes as the next entry, hashing them into the tree."""
        self.entries.append(data)
        self.recipes.append(None)
        self.store.put_many(self._compact.append(leaf_hash(data)))
        return self.size - 1

    def register(self, signer: Signer, role: str = "producer", *, by: Signer = ADMIN) -> int:
        producer = "P-TaPhin" if role == "producer" else None
        return self.append(by, KEY_REGISTERED, registration(signer, role, producer))

    def revoke(self, signer: Signer, *, by: Signer = ADMIN) -> int:
        statement = {"key": signer.key_name, "reason": "key compromised"}
        return self.append(by, KEY_REVOKED, statement)

    def record(self, signer: Signer, number: int | None = None) -> int:
        """Append an `event.recorded` statement by `signer`."""
        return self.append(signer, "event.recorded", event_statement(number or self.size))

    def root(self, size: int | None = None) -> bytes:
        return root_at(self.store, self.size if size is None else size)

    def checkpoint(self, size: int | None = None, *, root: bytes | None = None) -> str:
        """The signed checkpoint of the first `size` entries (default: all)."""
        size = self.size if size is None else size
        checkpoint = Checkpoint(self.origin, size, root or self.root(size))
        return sign_checkpoint(checkpoint, self.log_key)

    def pairs(self, size: int | None = None) -> list[tuple[int, bytes]]:
        return list(enumerate(self.entries[: self.size if size is None else size]))

    def export(self, size: int | None = None) -> bytes:
        """The export (DESIGN §5) of the first `size` entries."""
        out = io.BytesIO()
        write_export(out, self.checkpoint(size), self.vkey, self.pairs(size))
        return out.getvalue()

    def key_indices(self, size: int | None = None) -> list[int]:
        """Indices of every key.registered / key.revoked entry below `size`."""
        limit = self.size if size is None else size
        return [
            i
            for i, recipe in enumerate(self.recipes[:limit])
            if recipe is not None and recipe.type in (KEY_REGISTERED, KEY_REVOKED)
        ]

    def bundle(self, indices: list[int], size: int | None = None) -> dict[str, Any]:
        """A proof bundle of `indices` plus every key entry, against checkpoint `size`."""
        size = self.size if size is None else size
        chosen = sorted(set(indices) | set(self.key_indices(size)))
        entries = [(i, self.entries[i]) for i in chosen]
        return build_bundle(self.checkpoint(size), self.vkey, entries, self.store, size)

    def rewritten(self, index: int, statement: dict[str, Any]) -> SampleLog:
        """The same log, but with entry `index`'s statement replaced and everything after
        re-chained and re-signed: a fork, signed with the same log key."""
        forked = SampleLog(self.origin, self.log_key)
        for i, recipe in enumerate(self.recipes[1:], start=1):
            assert recipe is not None, f"entry {i} was not made from a recipe"
            forked.append(recipe.signer, recipe.type, statement if i == index else recipe.statement)
        return forked


def export_of(pairs: list[tuple[int, bytes]], checkpoint: str, vkey: str) -> bytes:
    """An export's bytes with these entry lines, whatever their indices (unlike write_export)."""
    header = json.dumps({"type": EXPORT_TYPE, "checkpoint": checkpoint, "vkey": vkey})
    lines = [header.encode()] + [
        b'{"index":%d,"entry":"%s"}' % (index, base64.b64encode(data)) for index, data in pairs
    ]
    return b"\n".join(lines) + b"\n"


def standard_log(events: int = 6) -> SampleLog:
    """Genesis, a second admin, two producers, then `events` events alternating producers."""
    log = SampleLog()
    log.register(ADMIN_2, "admin")
    log.register(PRODUCER)
    log.register(PRODUCER_2, by=ADMIN_2)
    for n in range(events):
        log.record(PRODUCER if n % 2 == 0 else PRODUCER_2)
    return log


def verify(log: SampleLog, pairs: list[tuple[int, bytes]] | None = None, **kwargs: Any) -> Any:
    """``ledger.fast.verify.verify_log`` of a sample log (or of changed pairs of it)."""
    pairs = log.pairs() if pairs is None else pairs
    return verify_log(pairs, kwargs.pop("checkpoint", None) or log.checkpoint(), log.vkey, **kwargs)


def replace_text(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` with its one occurrence of ``old`` replaced."""
    assert data.count(old) == 1
    return data.replace(old, new)
