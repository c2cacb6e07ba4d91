"""Who may use which field: one table, enforced on every resolution, documented in docs/api.md.

Root fields (Query, Mutation) are denied unless listed here, so a new field cannot ship without a
rule. Object fields are open unless listed. Row scope (a producer sees only its own items and
events) is applied by the resolvers' queries; ``visible`` decides the same for ``node``/``nodes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql import GraphQLResolveInfo
from traceapp.api.errors import ApiError
from traceapp.auth.services import Principal

ADMIN, PRODUCER, AUDITOR, ANONYMOUS = "admin", "producer", "auditor", "anonymous"
ROLES = (ADMIN, PRODUCER, AUDITOR, ANONYMOUS)
EVERYONE = frozenset(ROLES)
SIGNED_IN = frozenset({ADMIN, PRODUCER, AUDITOR})
READ_ALL = frozenset({ADMIN, AUDITOR})
WRITERS = frozenset({ADMIN, PRODUCER})
ADMIN_ONLY = frozenset({ADMIN})

_PUBLIC_QUERIES = (
    "node",
    "nodes",
    "viewer",
    "producers",
    "products",
    "certifications",
    "batches",
    "locations",
    "recalls",
    "actorKeys",
    "ledgerInfo",
    "ledgerEntries",
    "latestCheckpoint",
    "checkpoint",
    "inclusionProof",
    "consistencyProof",
    "verifyItem",
)
_WRITER_MUTATIONS = (
    "updateProducerContact",
    "registerProduct",
    "updateProduct",
    "uploadProductPhoto",
    "uploadProducerLogo",
    "registerLocation",
    "updateLocation",
    "createBatch",
    "issueItems",
    "recordEvent",
    "recordEvents",
    "captureEpcisEvents",
    "captureEpcisDocument",
    "declareEventError",
    "issueRecall",
)
_ADMIN_MUTATIONS = (
    "registerProducer",
    "updateProducer",
    "suspendProducer",
    "resumeProducer",
    "grantCertification",
    "revokeCertification",
    "registerKey",
    "revokeKey",
)
# Mutations a client-held key can sign, each with its ``prepareXxx`` query.
SIGNABLE = (
    "registerProducer",
    "updateProducer",
    "registerProduct",
    "updateProduct",
    "grantCertification",
    "registerLocation",
    "updateLocation",
    "createBatch",
    "issueItems",
    "recordEvent",
    "issueRecall",
)


def _prepare_name(mutation: str) -> str:
    return "prepare" + mutation[0].upper() + mutation[1:]


RULES: dict[tuple[str, str], frozenset[str]] = {
    **{("Query", name): EVERYONE for name in _PUBLIC_QUERIES},
    ("Query", "items"): SIGNED_IN - {ANONYMOUS},
    ("Query", "events"): SIGNED_IN - {ANONYMOUS},
    ("Query", "auditSummary"): READ_ALL,
    ("Query", "portalRecords"): SIGNED_IN - {ANONYMOUS},
    # Producers read their own figures only (the resolver scopes them); the office and auditors any.
    ("Query", "statistics"): SIGNED_IN,
    **{("Mutation", name): WRITERS for name in _WRITER_MUTATIONS},
    **{("Mutation", name): ADMIN_ONLY for name in _ADMIN_MUTATIONS},
    # Personal data never leaves the server except to the programme office.
    ("Producer", "personalData"): ADMIN_ONLY,
    # A producer manages its own API tokens; the CLI manages everyone's.
    ("Mutation", "createApiToken"): frozenset({PRODUCER}),
    ("Mutation", "revokeApiToken"): frozenset({PRODUCER}),
    ("Viewer", "apiTokens"): frozenset({PRODUCER}),
    # Whether an item has a scratch-off PIN helps nobody but a forger.
    ("Item", "hasPin"): WRITERS,
}
for _mutation in SIGNABLE:
    RULES[("Query", _prepare_name(_mutation))] = RULES[("Mutation", _mutation)]

ROOT_TYPES = frozenset({"Query", "Mutation"})
GUARDED_TYPES = ROOT_TYPES | {parent for parent, _ in RULES}


def allowed(principal: Principal, parent: str, field: str) -> bool:
    roles = RULES.get((parent, field))
    if roles is None:
        return parent not in ROOT_TYPES
    return principal.role in roles


def refuse(principal: Principal) -> ApiError:
    if principal.is_anonymous:
        return ApiError(
            "authentication required: send Authorization: Bearer <token>", "UNAUTHENTICATED"
        )
    return ApiError(f"the {principal.role} role may not do this", "FORBIDDEN")


class FieldPermissions(SchemaExtension):
    """Checks ``RULES`` before every guarded field resolves."""

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        parent = info.parent_type.name
        if parent in GUARDED_TYPES and not info.field_name.startswith("__"):
            principal: Principal = info.context.principal
            if not allowed(principal, parent, info.field_name):
                raise refuse(principal)
        return _next(root, info, *args, **kwargs)
