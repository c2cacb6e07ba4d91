"""The programme office's rules over producers: who in the office may do what, and what
suspending or resuming a producer does beyond its ledger statement.

The matrix (docs/security.md, "The office"): the office admin does everything; office staff
onboard (register, update, invite owners) and read, but neither certify nor suspend nor
manage tokens; the auditor reads only. Producers' members reach no office page at all.

Suspension is one transaction: the ``producer.suspended`` statement (the rule every write
passes from then on: ``producers.services.refuse_suspended``), every live API token of the
producer revoked, its members suspended and their sessions ended. Resuming records
``producer.resumed`` and lets the members sign in again; revoked tokens stay revoked (the owner
makes new ones), so a leaked token cannot come back with the producer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from traceapp.accounts.models import AUDITOR, OFFICE_ADMIN, OFFICE_STAFF, Account
from traceapp.accounts.services import resume_producer_accounts, suspend_producer_accounts
from traceapp.auth.services import revoke_producer_tokens
from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.suspension import plan_resume_producer, plan_suspend_producer

VIEW, REGISTER, UPDATE, INVITE, CERTIFY, SUSPEND, TOKENS = (
    "view",
    "register",
    "update",
    "invite",
    "certify",
    "suspend",
    "tokens",
)
OFFICE_ACTIONS: dict[str, frozenset[str]] = {
    VIEW: frozenset({OFFICE_ADMIN, OFFICE_STAFF, AUDITOR}),
    REGISTER: frozenset({OFFICE_ADMIN, OFFICE_STAFF}),
    UPDATE: frozenset({OFFICE_ADMIN, OFFICE_STAFF}),
    INVITE: frozenset({OFFICE_ADMIN, OFFICE_STAFF}),
    CERTIFY: frozenset({OFFICE_ADMIN}),
    SUSPEND: frozenset({OFFICE_ADMIN}),
    TOKENS: frozenset({OFFICE_ADMIN}),
}


def may(account: Account | None, action: str) -> bool:
    """Whether this member may do ``action`` in the office (a suspended account writes
    nothing, and is signed out anyway)."""
    if account is None or account.role not in OFFICE_ACTIONS[action]:
        return False
    return action == VIEW or account.suspended_at is None


@dataclass(frozen=True)
class StatusChange:
    receipt: Receipt
    tokens_revoked: int
    sessions_ended: int
    accounts_resumed: int


def suspend_producer(
    session: Session, ledger: Ledger, request: WriteRequest, producer: str, reason: str
) -> StatusChange:
    """``producer.suspended`` and its effects off the ledger, in the caller's transaction."""
    receipt = perform(
        session,
        ledger,
        request,
        lambda: plan_suspend_producer(session, ledger, request, producer, reason),
        op={"op": "suspend_producer", "id": producer, "reason": reason},
    )
    if receipt.replayed:
        return StatusChange(receipt, 0, 0, 0)
    tokens = revoke_producer_tokens(session, producer)
    sessions = suspend_producer_accounts(session, producer)
    return StatusChange(receipt, tokens, sessions, 0)


def resume_producer(
    session: Session, ledger: Ledger, request: WriteRequest, producer: str, reason: str | None
) -> StatusChange:
    receipt = perform(
        session,
        ledger,
        request,
        lambda: plan_resume_producer(session, ledger, request, producer, reason),
        op={"op": "resume_producer", "id": producer, "reason": reason},
    )
    if receipt.replayed:
        return StatusChange(receipt, 0, 0, 0)
    return StatusChange(receipt, 0, 0, resume_producer_accounts(session, producer))
