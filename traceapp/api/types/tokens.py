"""A producer's own API tokens as GraphQL sees them (``viewer.apiTokens``); never a secret."""

from __future__ import annotations

from datetime import datetime

import strawberry

from traceapp.api.ids import encode_global_id
from traceapp.auth import models


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
