"""The write path every service uses: sign, append, check the actor, project (DESIGN §3)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ledger.entry import statement_message
from ledger.errors import LedgerError
from ledger.keys import Verifier
from ledger.signing import sign_statement
from traceapp.db.statements import Prepared
from traceapp.errors import PermissionDenied
from traceapp.ledger_store.errors import IdempotencyConflict, SignatureRejected
from traceapp.ledger_store.ids import IdSource
from traceapp.ledger_store.keystore import KeyStore
from traceapp.ledger_store.log import LogIdentity
from traceapp.ledger_store.models import ActorKey, IdempotencyRecord
from traceapp.ledger_store.projections import Projectors
from traceapp.ledger_store.sequencer import AppendResult, SignedStatement, append
from traceapp.ledger_store.unique import UniqueRefusals

KEY_STATEMENTS = ("key.registered", "key.revoked")
_ACTOR_KEYS = "traceapp.actor_keys"
T = TypeVar("T")
_KEYS = ActorKey.__table__
_REGISTERED_KEY = Prepared(
    select(
        _KEYS.c.key_name,
        _KEYS.c.vkey,
        _KEYS.c.role,
        _KEYS.c.producer_public_id,
        _KEYS.c.revoked_seq,
    ).where(_KEYS.c.key_name == bindparam("key_name"))
)


@dataclass(frozen=True)
class RegisteredKey:
    """An actor's row in the key registry, as of this transaction."""

    key_name: str
    vkey: str
    role: str
    producer_public_id: str | None
    revoked_seq: int | None


@dataclass(frozen=True)
class Draft:
    """A statement built by a service, before anyone signs it."""

    type: str
    statement: dict[str, Any]

    def message(self, actor: str) -> bytes:
        """The exact bytes ``actor`` signs (DESIGN §5)."""
        return statement_message(actor, self.type, self.statement)


@dataclass
class Ledger:
    """App-scoped: the log identity, the custodial key store, the ID secret and the
    projectors and unique-constraint refusals the app assembled."""

    log: LogIdentity
    keystore: KeyStore
    id_secret: bytes
    projectors: Projectors
    unique_refusals: UniqueRefusals
    # How far ahead of our clock an event may be dated (clients' clocks drift).
    clock_skew: timedelta = timedelta(minutes=5)
    # Rules every signer passes before anything is signed (the app's: a suspended producer's
    # keys sign nothing); each raises its refusal.
    actor_checks: Sequence[Callable[[Session, RegisteredKey], None]] = ()

    @property
    def origin(self) -> str:
        return self.log.origin

    def ids(self, actor: str, idempotency_key: str | None) -> IdSource:
        if idempotency_key is None:
            return IdSource()
        return IdSource.derived(self.id_secret, actor, idempotency_key)

    def sign(
        self, session: Session, actor: str, drafts: Sequence[Draft], signature: bytes | None = None
    ) -> list[SignedStatement]:
        """Sign with the actor's custodial key, or check a client's signature (one draft)."""
        if self.actor_checks:
            key = self._active_key(session, actor)
            for check in self.actor_checks:
                check(session, key)
        if signature is not None:
            if len(drafts) != 1:
                raise SignatureRejected("a client signature covers exactly one statement")
            verifier = self._active_verifier(session, actor)
            try:
                verifier.verify(drafts[0].message(actor), signature)
            except LedgerError:
                raise SignatureRejected(
                    f"signature does not verify under {actor} over the prepared statement",
                    field="signature",
                ) from None
            return [SignedStatement(drafts[0].type, actor, drafts[0].statement, signature)]
        signer = self.keystore.signer(session, actor)
        return [
            SignedStatement(d.type, actor, d.statement, sign_statement(signer, d.type, d.statement))
            for d in drafts
        ]

    def record(self, session: Session, signed: Sequence[SignedStatement]) -> AppendResult:
        """Append and project, in the caller's transaction; raises before anything commits."""
        result = append(session, self.log, signed)
        # Checked against the registry as of each entry: keys never cached across
        # transactions, since another worker may have revoked one meanwhile.
        known: dict[str, RegisteredKey] = {}
        for appended in result.appended:
            entry = appended.entry
            if appended.seq > 0:
                key = known.get(entry.actor) or self._active_key(session, entry.actor)
                known[entry.actor] = key
                if entry.type in KEY_STATEMENTS and key.role != "admin":
                    raise PermissionDenied(
                        f"only an admin key may sign {entry.type}", field="actor"
                    )
            if entry.type in KEY_STATEMENTS:
                # Later entries are checked against the registry this one changes.
                self.projectors.project(session, appended)
                known.clear()
                session.info.pop(_ACTOR_KEYS, None)
        self.projectors.project_all(
            session, [a for a in result.appended if a.entry.type not in KEY_STATEMENTS]
        )
        return result

    def _active_key(self, session: Session, actor: str) -> RegisteredKey:
        # Kept for the transaction; cleared when a key statement changes the registry.
        keys: dict[str, RegisteredKey] = session.info.setdefault(_ACTOR_KEYS, {})
        key = keys.get(actor)
        if key is None:
            row = _REGISTERED_KEY.first(session, {"key_name": actor})
            if row is not None:
                key = keys[actor] = RegisteredKey(*row)
        if key is None:
            raise SignatureRejected(f"key {actor} is not registered in the log", field="actor")
        if key.revoked_seq is not None:
            raise SignatureRejected(f"key {actor} was revoked", field="actor")
        return key

    def key_read(self, session: Session, actor: str) -> tuple[Prepared, dict[str, Any]] | None:
        """The read of ``actor``'s registry row, unless this transaction knows it: for callers
        that read it together with others, then pass the rows to ``remember_key``."""
        if actor in session.info.get(_ACTOR_KEYS, {}):
            return None
        return _REGISTERED_KEY, {"key_name": actor}

    def remember_key(self, session: Session, rows: Sequence[Any]) -> None:
        for row in rows:
            session.info.setdefault(_ACTOR_KEYS, {})[row.key_name] = RegisteredKey(*row)

    def _active_verifier(self, session: Session, actor: str) -> Verifier:
        return Verifier.from_vkey(self._active_key(session, actor).vkey)

    def role_of(self, session: Session, actor: str) -> RegisteredKey:
        return self._active_key(session, actor)


def request_hash(payload: Any) -> bytes:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).digest()


def idempotent(
    session: Session,
    scope: str,
    key: str | None,
    payload: Any,
    run: Callable[[], tuple[AppendResult, dict[str, Any]]],
) -> tuple[dict[str, Any], bool]:
    """Run once per (scope, key): a retry returns the first result and appends nothing.

    Returns ``(result, replayed)``. The same key with a different request is a conflict.
    """
    if key is None:
        return run()[1], False
    digest = request_hash(payload)
    record = session.get(IdempotencyRecord, (scope, key))
    if record is not None:
        if not hmac.compare_digest(record.request_hash, digest):
            raise IdempotencyConflict(
                "this idempotency key was used for a different request", field="idempotencyKey"
            )
        replay: dict[str, Any] = json.loads(record.result)
        return replay, True
    result, outcome = run()
    session.add(
        IdempotencyRecord(
            scope=scope,
            key=key,
            request_hash=digest,
            first_seq=result.appended[0].seq,
            last_seq=result.appended[-1].seq,
            result=json.dumps(outcome),
            created_at=datetime.now(UTC),
        )
    )
    return outcome, False
