"""The shape every ledger-writing service shares: plan drafts, sign, record, once per key.

A service exposes ``plan_xxx(session, ledger, request, ...) -> list[Draft]``, pure given the
session and the request's idempotency key (IDs, serials and salts are derived from it), and
``xxx(...)``, which is ``perform``: plan, sign, record. ``prepareXxx`` asks the plan alone.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from traceapp.ledger_store.errors import IdempotencyConflict
from traceapp.ledger_store.ids import IdSource
from traceapp.ledger_store.models import IdempotencyRecord
from traceapp.ledger_store.unique import unique_refusal
from traceapp.ledger_store.writer import Draft, Ledger, idempotent


@dataclass(frozen=True)
class WriteRequest:
    """Who signs a write and how: the actor's key, an idempotency key, a client signature.

    ``for_client_key`` marks a plan made for a client-held key before its signature exists
    (``prepareXxx``): the plan refuses what a client key cannot sign.

    ``member`` is the pseudonymous ID of the person who acted through the console (an
    account's ``member_id``); ``perform`` adds it to every statement as ``"member"``.
    """

    actor: str
    idempotency_key: str | None = None
    signature: bytes | None = None
    for_client_key: bool = False
    member: str | None = None

    @property
    def client_signed(self) -> bool:
        return self.signature is not None or self.for_client_key

    def ids(self, ledger: Ledger) -> IdSource:
        """Random values for the statements, derived from the idempotency key when given."""
        return ledger.ids(self.actor, self.idempotency_key)


@dataclass(frozen=True)
class Receipt:
    """What a write returns: the objects it made and where its entries sit in the log."""

    public_ids: list[str]
    ledger_index: int
    leaf_hash: bytes
    entry_count: int
    replayed: bool


def refuse_used_key(session: Session, request: WriteRequest) -> None:
    """A plan for a key whose request is done would not be what the log holds."""
    if request.idempotency_key is None:
        return
    if session.get(IdempotencyRecord, (request.actor, request.idempotency_key)) is not None:
        raise IdempotencyConflict(
            "this idempotency key was already used: its request is done", field="idempotencyKey"
        )


def perform(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    plan: Callable[[], Sequence[Draft]],
    *,
    op: Any,
    ids_of: Callable[[Sequence[Draft]], list[str]] | None = None,
) -> Receipt:
    """Plan, sign (custodial key or client signature), append and project, idempotently.

    ``op`` describes the request for idempotency: the same key with another ``op`` is a
    conflict, with the same one a replay that plans nothing and appends nothing. A row that a
    concurrent request inserted first is refused as the plan refuses a sequential duplicate
    (``Ledger.unique_refusals``); the caller's transaction is then rolled back whole.
    """

    member = request.member
    if member is not None:
        # The same key used by another member is another request.
        op = {"op": op, "member": member}

    def run() -> tuple[Any, dict[str, Any]]:
        # The hot lookups are Core statements, which do not autoflush: earlier ORM changes in
        # this transaction must be in the database before they run.
        session.flush()
        drafts = plan()
        if member is not None:
            drafts = [Draft(d.type, {**d.statement, "member": member}) for d in drafts]
        signed = ledger.sign(session, request.actor, drafts, request.signature)
        result = ledger.record(session, signed)
        public_ids = ids_of(drafts) if ids_of else [str(d.statement.get("id", "")) for d in drafts]
        first = result.appended[0]
        return result, {
            "public_ids": public_ids,
            "ledger_index": first.seq,
            "leaf_hash": base64.b64encode(first.leaf_hash).decode(),
            "entry_count": len(result.appended),
        }

    try:
        outcome, replayed = idempotent(session, request.actor, request.idempotency_key, op, run)
        # The projections' rows, inserted here rather than at commit, so a duplicate is refused
        # by this rule; the next write's plan flushes them anyway.
        session.flush()
    except IntegrityError as exc:
        refusal = unique_refusal(
            exc, ledger.unique_refusals, keyed=request.idempotency_key is not None
        )
        if refusal is None:
            raise
        raise refusal from None
    return Receipt(
        public_ids=list(outcome["public_ids"]),
        ledger_index=int(outcome["ledger_index"]),
        leaf_hash=base64.b64decode(outcome["leaf_hash"]),
        entry_count=int(outcome["entry_count"]),
        replayed=replayed,
    )
