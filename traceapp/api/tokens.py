"""A producer's own API tokens over GraphQL: list them, create one (its secret shown once),
revoke one. Tokens are not ledger statements: these write the ``api_tokens`` table only.

Only a producer token may use these fields (``permissions.RULES``), and only on its producer's
tokens: another producer's token is refused (FORBIDDEN), as its other objects are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select

from traceapp.api.context import context_of
from traceapp.api.ids import encode_global_id, public_id_of
from traceapp.api.mutations.runner import user_errors
from traceapp.api.paging import paginate
from traceapp.api.types.common import Connection, UserError
from traceapp.auth import models
from traceapp.auth.services import create_token, revoke_token
from traceapp.errors import DomainError, PermissionDenied

Info = strawberry.Info[Any, Any]


@strawberry.type(description="An API token of the caller's producer; its secret is never shown.")
class ApiToken:
    row: strawberry.Private[models.ApiToken]

    @strawberry.field(description="Global ID; `traceapp tokens revoke` takes the public ID.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_global_id("ApiToken", self.row.public_id))

    @strawberry.field(description="The public ID (tok_…), as `traceapp tokens list` shows it.")
    def public_id(self) -> str:
        return self.row.public_id

    @strawberry.field
    def label(self) -> str | None:
        return self.row.label

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="Set once revoked: the API refuses the token from then on.")
    def revoked_at(self) -> datetime | None:
        return self.row.revoked_at


def api_tokens(info: Info, first: int, after: str | None) -> Connection[ApiToken]:
    """The caller's producer's tokens, oldest first."""
    producer = context_of(info).principal.producer
    stmt = select(models.ApiToken).where(models.ApiToken.producer_public_id == producer)
    return paginate(info, ApiToken, stmt, [models.ApiToken.id], first, after)


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
