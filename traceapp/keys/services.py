"""Keys: the genesis of the log, registering and revoking actor keys (DESIGN §5 trust chain)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import LedgerError
from ledger.keys import Verifier
from ledger.signing import Signer, sign_statement
from traceapp.keys.errors import KeyExists, KeyInvalid, KeyNotFound, LogAlreadyStarted
from traceapp.ledger_store.models import ActorKey, LedgerHead
from traceapp.ledger_store.sequencer import SignedStatement
from traceapp.ledger_store.service import Receipt, WriteRequest, perform
from traceapp.ledger_store.writer import Draft, Ledger

ROLES = ("admin", "producer", "auditor", "service")
ADMIN_KEY_NAME = "ocop-admin"
SERVICE_KEY_NAME = "ocop-service"


def key_registered(vkey: str, role: str, producer: str | None) -> Draft:
    return Draft("key.registered", {"vkey": vkey, "role": role, "producer": producer})


def init_ledger(session: Session, ledger: Ledger) -> tuple[str, str]:
    """Write the genesis: the first admin key registering itself, then the service key.

    Returns the admin and service key names. Refuses if the log already has entries.
    """
    head = session.execute(
        select(LedgerHead).where(LedgerHead.log == ledger.origin).with_for_update()
    ).scalar_one_or_none()
    if head is not None:
        raise LogAlreadyStarted(f"the log {ledger.origin} already has {head.size} entries")
    admin = ledger.keystore.create(session, ADMIN_KEY_NAME)
    genesis = key_registered(admin.vkey, "admin", None)
    ledger.record(session, [_self_signed(admin, genesis)])
    service = ledger.keystore.create(session, SERVICE_KEY_NAME)
    ledger.record(
        session,
        ledger.sign(session, admin.key_name, [key_registered(service.vkey, "service", None)]),
    )
    return admin.key_name, service.key_name


def _self_signed(signer: Signer, draft: Draft) -> SignedStatement:
    sig = sign_statement(signer, draft.type, draft.statement)
    return SignedStatement(draft.type, signer.key_name, draft.statement, sig)


def admin_key_name(session: Session) -> str:
    """The key of the genesis entry: the first admin."""
    name = session.execute(
        select(ActorKey.key_name).where(ActorKey.registered_seq == 0)
    ).scalar_one_or_none()
    if name is None:
        raise KeyNotFound("the ledger has no genesis entry: run `traceapp keys init`")
    return name


def service_key_name(session: Session) -> str:
    name = session.execute(
        select(ActorKey.key_name)
        .where(ActorKey.role == "service", ActorKey.revoked_seq.is_(None))
        .order_by(ActorKey.registered_seq)
        .limit(1)
    ).scalar_one_or_none()
    if name is None:
        raise KeyNotFound("no active service key in the log")
    return name


def build_register_key(session: Session, vkey: str, role: str, producer: str | None) -> Draft:
    if role not in ROLES:
        raise KeyInvalid(f"role must be one of {', '.join(ROLES)}", field="role")
    try:
        verifier = Verifier.from_vkey(vkey)
    except LedgerError as exc:
        raise KeyInvalid(f"not an Ed25519 vkey: {exc}", field="vkey") from None
    if session.get(ActorKey, verifier.key_name) is not None:
        raise KeyExists(f"key {verifier.key_name} is already registered", field="vkey")
    if (role == "producer") != (producer is not None):
        raise KeyInvalid("a producer key names its producer, and only it", field="producer")
    return key_registered(vkey, role, producer)


def plan_register_key(
    session: Session,
    ledger: Ledger,
    request: WriteRequest,
    vkey: str,
    role: str,
    producer: str | None,
) -> list[Draft]:
    return [build_register_key(session, vkey, role, producer)]


def register_key(
    session: Session,
    ledger: Ledger,
    actor: str,
    vkey: str,
    role: str,
    producer: str | None = None,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    """Register a client-held public key (its holder signs its own statements)."""
    request = WriteRequest(actor, idempotency_key, signature)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_register_key(session, ledger, request, vkey, role, producer),
        op={"op": "register_key", "vkey": vkey, "role": role, "producer": producer},
        ids_of=lambda drafts: [Verifier.from_vkey(vkey).key_name],
    )


def create_custodial_key(
    session: Session, ledger: Ledger, actor: str, name: str, role: str, producer: str | None
) -> str:
    """A server-held key for an actor without its own (most household businesses)."""
    signer = ledger.keystore.create(session, name)
    drafts = [build_register_key(session, signer.vkey, role, producer)]
    ledger.record(session, ledger.sign(session, actor, drafts))
    return signer.key_name


def plan_revoke_key(
    session: Session, ledger: Ledger, request: WriteRequest, key_name: str, reason: str
) -> list[Draft]:
    key = session.get(ActorKey, key_name)
    if key is None:
        raise KeyNotFound(f"no key {key_name} in the registry", field="key")
    if key.revoked_seq is not None:
        raise KeyExists(f"key {key_name} is already revoked", field="key")
    if key.registered_seq == 0:
        raise KeyInvalid("the genesis admin key cannot be revoked", field="key")
    if not reason.strip():
        raise KeyInvalid("give a reason", field="reason")
    return [Draft("key.revoked", {"key": key_name, "reason": reason.strip()})]


def revoke_key(
    session: Session,
    ledger: Ledger,
    actor: str,
    key_name: str,
    reason: str,
    idempotency_key: str | None = None,
    signature: bytes | None = None,
) -> Receipt:
    request = WriteRequest(actor, idempotency_key, signature)
    return perform(
        session,
        ledger,
        request,
        lambda: plan_revoke_key(session, ledger, request, key_name, reason),
        op={"op": "revoke_key", "key": key_name, "reason": reason},
        ids_of=lambda drafts: [key_name],
    )
