"""Accounts and invitations: who may invite whom, accepting an invitation, suspending a producer.

Sign-in and sessions are in ``sessions.py``; passwords in ``passwords.py``. Services take the
database session and never commit: the caller's transaction does.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from traceapp import validation as v
from traceapp.accounts.errors import (
    AccountInvalid,
    InvitationInvalid,
    LoginTaken,
    MayNotInvite,
    MayNotWrite,
)
from traceapp.accounts.models import (
    ACCOUNT_ROLES,
    OFFICE_ADMIN,
    OFFICE_STAFF,
    PRODUCER_OWNER,
    PRODUCER_ROLES,
    PRODUCER_STAFF,
    Account,
    AccountSession,
    Invitation,
)
from traceapp.accounts.passwords import check_password, hash_password
from traceapp.auth.services import signing_key_name
from traceapp.i18n import LANGUAGES
from traceapp.ledger_store.ids import IdSource
from traceapp.ledger_store.service import WriteRequest
from traceapp.producers.services import get_producer

INVITATION_LIFETIME = timedelta(days=7)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9]{8,15}$")


def _now() -> datetime:
    return datetime.now(UTC)


def secret_hash(token: str) -> bytes:
    """What is stored of a one-time token or session cookie: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).digest()


def new_secret() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def normalise_login(value: str) -> str:
    """An email (lowercased) or a phone number (digits, an optional leading +)."""
    raw = (value or "").strip()
    if "@" in raw:
        email = raw.lower()
        if len(email) > 254 or not _EMAIL.match(email):
            raise AccountInvalid("is not an email address", field="email")
        return email
    phone = re.sub(r"[\s.\-()]", "", raw)
    if not _PHONE.match(phone):
        raise AccountInvalid("is not an email address or a phone number", field="login")
    return phone


@dataclass(frozen=True)
class PersonInput:
    """What a person gives when their account is made: personal data, kept off the ledger."""

    name: str
    email: str | None
    phone: str | None
    password: str
    language: str | None = None


def _language(value: str | None) -> str | None:
    return value if value in LANGUAGES else None


def create_account(
    session: Session, role: str, producer: str | None, person: PersonInput
) -> Account:
    """Make an account; the email, else the phone, is its login."""
    if role not in ACCOUNT_ROLES:
        raise AccountInvalid(f"role must be one of {', '.join(ACCOUNT_ROLES)}", field="role")
    if (role in PRODUCER_ROLES) != (producer is not None):
        raise AccountInvalid("a producer's member names its producer, and only it", "producer")
    if producer is not None:
        get_producer(session, producer)
    name = v.required_text(person.name, "name", max_length=200)
    email = normalise_login(person.email) if person.email and person.email.strip() else None
    if email is not None and "@" not in email:
        raise AccountInvalid("is not an email address", field="email")
    phone = normalise_login(person.phone) if person.phone and person.phone.strip() else None
    if phone is not None and "@" in phone:
        raise AccountInvalid("is not a phone number", field="phone")
    login = email or phone
    if login is None:
        raise AccountInvalid("give an email address or a phone number", field="email")
    if session.execute(select(Account.id).where(Account.login == login)).first():
        raise LoginTaken("an account with this email or phone exists", field="email")
    check_password(person.password)
    ids = IdSource()
    account = Account(
        public_id=ids.public_id("acc"),
        member_id=ids.public_id("mbr"),
        role=role,
        producer_public_id=producer,
        login=login,
        name=name,
        email=email,
        phone=phone,
        password_hash=hash_password(person.password),
        language=_language(person.language),
        created_at=_now(),
        failed_sign_ins=0,
    )
    session.add(account)
    session.flush()
    return account


def may_invite(inviter: Account, role: str) -> bool:
    """The office admin invites owners and office people, office staff invite owners; an owner
    invites staff."""
    if inviter.suspended_at is not None:
        return False
    if inviter.role == OFFICE_ADMIN:
        return role != PRODUCER_STAFF
    if inviter.role == OFFICE_STAFF:
        return role == PRODUCER_OWNER  # onboarding (accounts.office.OFFICE_ACTIONS)
    return inviter.role == PRODUCER_OWNER and role == PRODUCER_STAFF


def invite(
    session: Session, inviter: Account, role: str, producer: str | None = None
) -> tuple[Invitation, str]:
    """A one-time invitation; its token is returned once, only its hash is kept."""
    if role not in ACCOUNT_ROLES:
        raise AccountInvalid(f"role must be one of {', '.join(ACCOUNT_ROLES)}", field="role")
    if not may_invite(inviter, role):
        raise MayNotInvite("you may not invite this role", field="role")
    if role == PRODUCER_STAFF:
        producer = inviter.producer_public_id
    elif role != PRODUCER_OWNER:
        producer = None
    if role in PRODUCER_ROLES:
        if not producer:
            raise AccountInvalid("choose the producer", field="producer")
        get_producer(session, producer)
    token = new_secret()
    now = _now()
    invitation = Invitation(
        public_id=IdSource().public_id("inv"),
        token_hash=secret_hash(token),
        role=role,
        producer_public_id=producer,
        invited_by=inviter.id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(invitation)
    session.flush()
    return invitation, token


def open_invitation(session: Session, token: str) -> Invitation:
    """The invitation this token opens, if unused and unexpired."""
    invitation = session.execute(
        select(Invitation).where(Invitation.token_hash == secret_hash(token or ""))
    ).scalar_one_or_none()
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= _now():
        raise InvitationInvalid("this invitation link is not valid (used or expired)", "token")
    return invitation


def accept_invitation(session: Session, token: str, person: PersonInput) -> Account:
    """Make the invited account; the link is used up."""
    invitation = open_invitation(session, token)
    account = create_account(session, invitation.role, invitation.producer_public_id, person)
    invitation.accepted_at = _now()
    invitation.account_id = account.id
    return account


def members_of(session: Session, producer: str) -> list[Account]:
    return list(
        session.execute(
            select(Account)
            .where(Account.producer_public_id == producer)
            .order_by(Account.created_at, Account.id)
        ).scalars()
    )


def pending_invitations(session: Session, inviter: Account) -> list[Invitation]:
    return list(
        session.execute(
            select(Invitation)
            .where(
                Invitation.invited_by == inviter.id,
                Invitation.accepted_at.is_(None),
                Invitation.expires_at > _now(),
            )
            .order_by(Invitation.created_at.desc())
        ).scalars()
    )


def revoke_sessions(session: Session, account_ids: list[int]) -> int:
    """End every live session of these accounts; how many were live."""
    if not account_ids:
        return 0
    result = session.execute(
        update(AccountSession)
        .where(AccountSession.account_id.in_(account_ids), AccountSession.revoked_at.is_(None))
        .values(revoked_at=_now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def suspend_producer_accounts(session: Session, producer: str) -> int:
    """The office suspends a producer: its members can no longer sign in, and every session
    they hold ends now. Returns the number of sessions ended."""
    get_producer(session, producer)
    accounts = members_of(session, producer)
    now = _now()
    for account in accounts:
        account.suspended_at = account.suspended_at or now
    session.flush()
    return revoke_sessions(session, [a.id for a in accounts])


def resume_producer_accounts(session: Session, producer: str) -> int:
    """The office resumes a producer: its members may sign in again (their old sessions stay
    ended). Returns the number of accounts resumed."""
    get_producer(session, producer)
    accounts = [a for a in members_of(session, producer) if a.suspended_at is not None]
    for account in accounts:
        account.suspended_at = None
    return len(accounts)


def member_write_request(
    session: Session, account: Account, idempotency_key: str | None = None
) -> WriteRequest:
    """The ``WriteRequest`` of a console action: signed by the key a token of the same role
    would sign with (``auth.services.signing_key_name``), the member named by pseudonym."""
    if account.suspended_at is not None:
        raise MayNotWrite("this account is suspended", field="account")
    if account.role in PRODUCER_ROLES:
        key = signing_key_name(session, "producer", account.producer_public_id)
    elif account.role in (OFFICE_ADMIN, OFFICE_STAFF):
        # Office staff sign with the office's key too; what each may do is the console's
        # ``accounts.office.may`` (staff neither certify nor suspend).
        key = signing_key_name(session, "admin", None)
    else:
        key = None
    if key is None:
        raise MayNotWrite("this role writes nothing to the ledger", field="account")
    return WriteRequest(key, idempotency_key, member=account.member_id)
