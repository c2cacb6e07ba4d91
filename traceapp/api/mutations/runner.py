"""Running a service for a mutation: actor, signature, one write transaction, userErrors.

A write runs in ``Database.write()``: the service's statements, their ledger entries and the
checkpoint commit together, and any ``DomainError`` rolls everything back and becomes a userError.

A client that holds its own key first asks ``prepareXxx`` for the exact bytes to sign: the
service's ``plan`` for the same input and idempotency key, in a read session that is rolled
back. Plans are deterministic given the key (IDs, serials and salts are derived from it), and
``perform`` signs what the same plan returns, so prepare and submit cannot drift apart.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from strawberry.types import Info

from traceapp import validation as v
from traceapp.api.context import ApiContext, context_of
from traceapp.api.permissions import ADMIN, PRODUCER
from traceapp.api.types.common import UserError
from traceapp.auth.services import Principal
from traceapp.errors import DomainError, NotFound, PermissionDenied, Translate, ValidationFailed
from traceapp.ledger_store.errors import SignatureRejected
from traceapp.ledger_store.models import ActorKey
from traceapp.ledger_store.service import WriteRequest, refuse_used_key
from traceapp.ledger_store.writer import Draft, Ledger

InputT = TypeVar("InputT")


@dataclass(frozen=True)
class Call:
    """A mutation's service bound to its input. ``perform`` writes; ``plan``, for services a
    client-held key may sign, gives the drafts ``prepareXxx`` hands out."""

    perform: Callable[[Session, Ledger, WriteRequest], Any]
    plan: Callable[[Session, Ledger, WriteRequest], list[Draft]] | None = None


# From a GraphQL input to its Call: IDs decoded, values converted; raises DomainError.
MakeCall = Callable[[InputT], Call]


@dataclass
class Outcome:
    result: Any = None
    errors: list[UserError] | None = None


def user_errors(exc: DomainError, translate: Translate | None = None) -> list[UserError]:
    """The error's problems, in the caller's language when ``translate`` is given."""
    return [
        UserError(field=p.field, message=p.message, code=p.code) for p in exc.problems(translate)
    ]


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
    make_call: MakeCall[InputT],
    data: InputT,
    *,
    idempotency_key: str | None = None,
    actor: str | None = None,
    signature: str | None = None,
) -> Outcome:
    context = context_of(info)
    try:
        v.idempotency_key(idempotency_key)
        sig = decode_signature(signature)
        call = make_call(data)
        with context.database.write() as session:
            signer = resolve_actor(session, context.principal, actor)
            request = WriteRequest(signer, idempotency_key, sig)
            result = call.perform(session, context.ledger, request)
    except DomainError as exc:
        return Outcome(errors=user_errors(exc, context.translate))
    # The request's read session may hold a snapshot from before the commit (SQLite WAL):
    # end it so the payload reads what was just written.
    context.session.rollback()
    return Outcome(result=result, errors=[])


@dataclass(frozen=True)
class ToSign:
    """What a client-held key must sign: the actor and the one draft statement."""

    actor: str
    draft: Draft


def run_prepare(
    context: ApiContext,
    make_call: MakeCall[InputT],
    data: InputT,
    *,
    idempotency_key: str | None,
    actor: str | None,
) -> ToSign:
    """The one statement ``actor`` must sign for this input; raises DomainError."""
    if not idempotency_key:
        raise ValidationFailed(
            "is required: it fixes the statement's IDs between prepare and submit",
            field="idempotencyKey",
        )
    v.idempotency_key(idempotency_key)
    call = make_call(data)
    if call.plan is None:
        raise ValueError("this mutation cannot be signed by a client key")
    with context.database.read_sessions() as session:
        try:
            signer = resolve_actor(session, context.principal, actor)
            request = WriteRequest(signer, idempotency_key, for_client_key=True)
            refuse_used_key(session, request)
            drafts = call.plan(session, context.ledger, request)
        finally:
            session.rollback()
    if len(drafts) != 1:
        raise ValidationFailed(
            f"this request makes {len(drafts)} statements; a client key signs exactly one",
            field="input",
        )
    return ToSign(signer, drafts[0])
