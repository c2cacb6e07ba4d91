"""Running a service for a mutation: actor, signature, one write transaction, userErrors.

A write runs in ``Database.write()``: the service's statements, their ledger entries and the
checkpoint commit together, and any ``DomainError`` rolls everything back and becomes a userError.

A client that holds its own key first asks ``prepareXxx`` for the exact bytes to sign. Services
are deterministic given an idempotency key (IDs, serials and salts are derived from it), so
preparing is running the same service up to the point where it would sign: ``_Capturing`` is the
app's ledger with ``sign`` replaced by "hand the drafts back", in a read session that is rolled
back. No service needed a second code path for it, and prepare and submit cannot drift apart.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy.orm import Session
from strawberry.types import Info

from traceapp import validation as v
from traceapp.api.context import ApiContext, context_of
from traceapp.api.permissions import ADMIN, PRODUCER
from traceapp.api.types.common import UserError
from traceapp.auth.services import Principal
from traceapp.ledger_store.errors import (
    DomainError,
    IdempotencyConflict,
    NotFound,
    PermissionDenied,
    SignatureRejected,
    ValidationFailed,
)
from traceapp.ledger_store.models import ActorKey
from traceapp.ledger_store.sequencer import SignedStatement
from traceapp.ledger_store.writer import Draft, Ledger

# (session, ledger, actor, idempotency key, client signature) -> the service's result
Call = Callable[[Session, Ledger, str, str | None, bytes | None], Any]
# Builds the call from the GraphQL input; told whether a client key signs (some inputs
# are only deterministic with explicit values then). Raises DomainError on bad input.
BuildCall = Callable[[bool], Call]


@dataclass
class Outcome:
    result: Any = None
    errors: list[UserError] | None = None


def user_errors(exc: DomainError) -> list[UserError]:
    issues = getattr(exc, "issues", None)
    if issues:  # a whole document refused: every problem, each at its JSON pointer
        return [
            UserError(
                field=issue.pointer or "document",
                message=issue.message,
                code=f"EPCIS_{issue.rule.upper()}",
            )
            for issue in issues
        ]
    return [UserError(field=exc.field, message=exc.message, code=exc.code)]


def decode_signature(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRejected("must be base64", field="signature") from None


def resolve_actor(session: Session, principal: Principal, actor: str | None) -> str:
    """The key that signs: the token's own, or a client-held key the caller may use."""
    if actor is None:
        if principal.key_name is None:
            raise PermissionDenied("this token has no signing key", field="actor")
        return principal.key_name
    key = session.get(ActorKey, actor)
    if key is None:
        raise NotFound(f"key {actor} is not registered in the log", field="actor")
    if principal.role == ADMIN:
        return actor
    if principal.role == PRODUCER and key.producer_public_id == principal.producer:
        return actor
    raise PermissionDenied(f"this token may not act as {actor}", field="actor")


def run_write(
    info: Info[Any, Any],
    build: BuildCall,
    *,
    idempotency_key: str | None = None,
    actor: str | None = None,
    signature: str | None = None,
) -> Outcome:
    context = context_of(info)
    try:
        v.idempotency_key(idempotency_key)
        sig = decode_signature(signature)
        call = build(sig is not None)
        with context.database.write() as session:
            signer = resolve_actor(session, context.principal, actor)
            result = call(session, context.ledger, signer, idempotency_key, sig)
    except DomainError as exc:
        return Outcome(errors=user_errors(exc))
    # The request's read session may hold a snapshot from before the commit (SQLite WAL):
    # end it so the payload reads what was just written.
    context.session.rollback()
    return Outcome(result=result, errors=[])


class _Captured(Exception):
    def __init__(self, drafts: Sequence[Draft]) -> None:
        super().__init__("prepared")
        self.drafts = list(drafts)


class _Capturing(Ledger):
    """The app's ledger, except that signing hands the drafts back instead."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(**{f.name: getattr(ledger, f.name) for f in fields(ledger) if f.init})

    def sign(
        self,
        session: Session,
        actor: str,
        drafts: Sequence[Draft],
        signature: bytes | None = None,
    ) -> list[SignedStatement]:
        raise _Captured(drafts)


@dataclass
class Prepared:
    actor: str
    draft: Draft


def run_prepare(
    context: ApiContext,
    build: BuildCall,
    *,
    idempotency_key: str | None,
    actor: str | None,
) -> Prepared:
    """The one statement ``actor`` must sign for this input; raises DomainError."""
    if not idempotency_key:
        raise ValidationFailed(
            "is required: it fixes the statement's IDs between prepare and submit",
            field="idempotencyKey",
        )
    v.idempotency_key(idempotency_key)
    call = build(True)
    with context.database.read_sessions() as session:
        try:
            signer = resolve_actor(session, context.principal, actor)
            call(session, _Capturing(context.ledger), signer, idempotency_key, b"")
        except _Captured as captured:
            drafts = captured.drafts
        else:
            raise IdempotencyConflict(
                "this idempotency key was already used: its request is done",
                field="idempotencyKey",
            )
        finally:
            session.rollback()
    if len(drafts) != 1:
        raise ValidationFailed(
            f"this request makes {len(drafts)} statements; a client key signs exactly one",
            field="input",
        )
    return Prepared(signer, drafts[0])
