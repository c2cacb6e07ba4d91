"""A producer's own API tokens over GraphQL: create one (its secret shown once), revoke one.
Tokens are not ledger statements: these write the ``api_tokens`` table only.

Only a producer token may use these fields (``permissions.RULES``), and only on its producer's
tokens: another producer's token is refused (FORBIDDEN), as its other objects are.
"""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select

from traceapp.api.context import context_of
from traceapp.api.ids import public_id_of
from traceapp.api.mutations.runner import user_errors
from traceapp.api.types.common import UserError
from traceapp.api.types.tokens import ApiToken
from traceapp.auth import models
from traceapp.auth.services import create_token, revoke_token
from traceapp.errors import DomainError, PermissionDenied

Info = strawberry.Info[Any, Any]


@strawberry.input
class CreateApiTokenInput:
    label: str | None = strawberry.field(default=None, description="What the token is for.")


@strawberry.input
class RevokeApiTokenInput:
    token: strawberry.ID = strawberry.field(description="The token's global ID.")


@strawberry.type
class CreateApiTokenPayload:
    token: ApiToken | None
    secret: str | None = strawberry.field(
        description="The bearer token, shown this once: only its hash is stored."
    )
    user_errors: list[UserError]


@strawberry.type
class RevokeApiTokenPayload:
    token: ApiToken | None
    user_errors: list[UserError]


def _own_producer(info: Info) -> str:
    producer = context_of(info).principal.producer
    if producer is None:  # the permission rules let only producer tokens here
        raise PermissionDenied("only a producer manages its tokens here", field="input")
    return producer


def _reread(info: Info, public_id: str) -> ApiToken:
    session = context_of(info).session
    session.rollback()  # the read session may predate the write's commit (SQLite WAL)
    row = session.execute(
        select(models.ApiToken).where(models.ApiToken.public_id == public_id)
    ).scalar_one()
    return ApiToken(row=row)


def create_api_token(info: Info, data: CreateApiTokenInput) -> CreateApiTokenPayload:
    context = context_of(info)
    try:
        producer = _own_producer(info)
        with context.database.write() as session:
            token, secret = create_token(session, "producer", producer, data.label)
            public_id = token.public_id
    except DomainError as exc:
        return CreateApiTokenPayload(
            token=None, secret=None, user_errors=user_errors(exc, context.translate)
        )
    return CreateApiTokenPayload(token=_reread(info, public_id), secret=secret, user_errors=[])


def revoke_api_token(info: Info, data: RevokeApiTokenInput) -> RevokeApiTokenPayload:
    context = context_of(info)
    try:
        producer = _own_producer(info)
        public_id = public_id_of(data.token, "ApiToken", "token")
        with context.database.write() as session:
            revoke_token(session, public_id, producer)
    except DomainError as exc:
        return RevokeApiTokenPayload(token=None, user_errors=user_errors(exc, context.translate))
    return RevokeApiTokenPayload(token=_reread(info, public_id), user_errors=[])
