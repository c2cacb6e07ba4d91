"""The shape every ledger-writing service shares: build drafts, sign, record, once per key."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from traceapp.ledger_store.ids import IdSource
from traceapp.ledger_store.writer import Draft, Ledger, idempotent

Builder = Callable[[IdSource], Sequence[Draft]]


@dataclass(frozen=True)
class Receipt:
    """What a write returns: the objects it made and where its entries sit in the log."""

    public_ids: list[str]
    ledger_index: int
    leaf_hash: bytes
    entry_count: int
    replayed: bool


def prepare(ledger: Ledger, actor: str, idempotency_key: str, build: Builder) -> Draft:
    """The statement a client-held key must sign; ``perform`` with the same key rebuilds it."""
    drafts = build(ledger.ids(actor, idempotency_key))
    if len(drafts) != 1:
        raise ValueError("only single-statement requests can be signed by a client key")
    return drafts[0]


def perform(
    session: Session,
    ledger: Ledger,
    actor: str,
    build: Builder,
    *,
    request: Any,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
    ids_of: Callable[[Sequence[Draft]], list[str]] | None = None,
) -> Receipt:
    """Build, sign (custodial key or client signature), append and project, idempotently."""

    def run() -> tuple[Any, dict[str, Any]]:
        # The hot lookups are Core statements, which do not autoflush: earlier ORM changes in
        # this transaction must be in the database before they run.
        session.flush()
        drafts = build(ledger.ids(actor, idempotency_key))
        signed = ledger.sign(session, actor, drafts, signature)
        result = ledger.record(session, signed)
        public_ids = ids_of(drafts) if ids_of else [str(d.statement.get("id", "")) for d in drafts]
        first = result.appended[0]
        return result, {
            "public_ids": public_ids,
            "ledger_index": first.seq,
            "leaf_hash": base64.b64encode(first.leaf_hash).decode(),
            "entry_count": len(result.appended),
        }

    outcome, replayed = idempotent(session, actor, idempotency_key, request, run)
    return Receipt(
        public_ids=list(outcome["public_ids"]),
        ledger_index=int(outcome["ledger_index"]),
        leaf_hash=base64.b64decode(outcome["leaf_hash"]),
        entry_count=int(outcome["entry_count"]),
        replayed=replayed,
    )
