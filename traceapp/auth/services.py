"""API tokens: random 32 bytes, shown once, stored as SHA-256 (DESIGN §12)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.auth.errors import TokenForbidden, TokenInvalid, TokenNotFound, TokenRevoked
from traceapp.auth.models import ROLES, ApiToken
from traceapp.db.statements import Prepared
from traceapp.keys.services import admin_key_name
from traceapp.ledger_store.ids import IdSource
from traceapp.producers.errors import ProducerSuspended
from traceapp.producers.services import get_producer, producer_key

TOKEN_PREFIX = "ocop_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, the producer it is scoped to, and the key that signs its writes."""

    role: str
    producer: str | None = None
    key_name: str | None = None
    token_id: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.role == "anonymous"


ANONYMOUS = Principal("anonymous")


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def signing_key_name(session: Session, role: str, producer: str | None) -> str | None:
    """The custodial key that signs the writes of a caller with this role (DESIGN §12).

    The one rule for both doors: an API token keeps the name it was given at creation, a
    console member asks again on each write. A producer signs with its own active key, the
    programme office with the admin key; an auditor writes nothing.
    """
    if role == "producer":
        assert producer is not None
        get_producer(session, producer)
        return producer_key(session, producer)
    if role == "admin":
        return admin_key_name(session)
    return None


def create_token(
    session: Session, role: str, producer: str | None = None, label: str | None = None
) -> tuple[ApiToken, str]:
    """Create a token; the plaintext is returned once and never stored."""
    if role not in ROLES:
        raise TokenInvalid(f"role must be one of {', '.join(ROLES)}", field="role")
    if (role == "producer") != (producer is not None):
        raise TokenInvalid("a producer token names its producer, and only it", field="producer")
    label = v.text(label, "label", max_length=200, required=False)
    key_name = signing_key_name(session, role, producer)
    if producer is not None and get_producer(session, producer).suspended_seq is not None:
        raise ProducerSuspended(
            f"producer {producer} is suspended: no token is made for it until it is resumed",
            field="producer",
            params={"producer": producer},
        )
    plaintext = TOKEN_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip(
        "="
    )
    token = ApiToken(
        public_id=IdSource().public_id("tok"),
        token_hash=token_hash(plaintext),
        role=role,
        producer_public_id=producer,
        key_name=key_name,
        label=label,
        created_at=datetime.now(UTC),
    )
    session.add(token)
    return token, plaintext


_TOKENS = ApiToken.__table__
# Every authenticated request runs this, never cached (a revoked token is refused on the next
# request): prepared on the DBAPI connection, without the ORM's execute around it.
_TOKEN_BY_HASH = Prepared(
    select(
        _TOKENS.c.role,
        _TOKENS.c.producer_public_id,
        _TOKENS.c.key_name,
        _TOKENS.c.public_id,
        _TOKENS.c.revoked_at,
    ).where(_TOKENS.c.token_hash == bindparam("token_hash"))
)


def authenticate(session: Session, token: str) -> Principal | None:
    row = _TOKEN_BY_HASH.first(session, {"token_hash": token_hash(token)})
    if row is None or row.revoked_at is not None:
        return None
    return Principal(row.role, row.producer_public_id, row.key_name, row.public_id)


def list_tokens(session: Session, producer: str | None = None) -> list[ApiToken]:
    """Every token (or a producer's own), oldest first; hashes only, never a secret."""
    query = select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)
    if producer is not None:
        query = query.where(ApiToken.producer_public_id == producer)
    return list(session.execute(query).scalars())


def token_page(
    session: Session, before: str | None, size: int
) -> tuple[list[ApiToken], str | None]:
    """``size`` tokens, newest first, older than the token ``before`` (a public ID; unknown:
    from the newest), and the cursor of the next (older) page: a keyset on the primary key,
    so a page costs the same whatever the number of tokens."""
    query = select(ApiToken)
    if before:
        mark = select(ApiToken.id).where(ApiToken.public_id == before).scalar_subquery()
        if session.execute(select(mark)).scalar() is not None:
            query = query.where(ApiToken.id < mark)
    found = list(session.execute(query.order_by(ApiToken.id.desc()).limit(size + 1)).scalars())
    older = found[size - 1].public_id if len(found) > size else None
    return found[:size], older


def revoke_token(session: Session, public_id: str, producer: str | None = None) -> ApiToken:
    """Revoke a token at once: the next request with it is refused (``authenticate`` reads the
    row every time). With ``producer``, only that producer's own tokens."""
    token = session.execute(
        select(ApiToken).where(ApiToken.public_id == public_id)
    ).scalar_one_or_none()
    if token is None:
        raise TokenNotFound(f"no token {public_id}", field="token")
    if producer is not None and token.producer_public_id != producer:
        # As for any other object of another producer (docs/api.md, "Who may write what").
        raise TokenForbidden("a producer revokes its own tokens only", field="token")
    if token.revoked_at is not None:
        raise TokenRevoked(f"token {public_id} is revoked already", field="token")
    token.revoked_at = datetime.now(UTC)
    return token


def revoke_producer_tokens(session: Session, producer: str) -> int:
    """Revoke every live token of a producer at once (its suspension); how many were live."""
    now = datetime.now(UTC)
    tokens = session.execute(
        select(ApiToken).where(
            ApiToken.producer_public_id == producer, ApiToken.revoked_at.is_(None)
        )
    ).scalars()
    count = 0
    for token in tokens:
        token.revoked_at = now
        count += 1
    return count
