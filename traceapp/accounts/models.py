"""Accounts of people, invitations, server-side sessions and the sign-in trail (all off-ledger).

Name, email and phone are personal data: they stay in ``accounts`` and never reach the ledger.
A statement names the member who acted by ``member_id``, a random pseudonym.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from traceapp.db.base import Base
from traceapp.types import BigInt, UtcDateTime

PRODUCER_OWNER = "producer_owner"
PRODUCER_STAFF = "producer_staff"
OFFICE_ADMIN = "office_admin"
OFFICE_STAFF = "office_staff"
AUDITOR = "auditor"
ACCOUNT_ROLES = (PRODUCER_OWNER, PRODUCER_STAFF, OFFICE_ADMIN, OFFICE_STAFF, AUDITOR)
PRODUCER_ROLES = (PRODUCER_OWNER, PRODUCER_STAFF)
OFFICE_ROLES = (OFFICE_ADMIN, OFFICE_STAFF)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    # The pseudonym statements carry; random, so it says nothing of the person.
    member_id: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    producer_public_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # Email or phone, normalised (lowercase email, digits-only phone): what the person signs in with.
    login: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Invitation(Base):
    """A one-time link: the token is shown once and stored as SHA-256."""

    __tablename__ = "account_invitations"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    producer_public_id: Mapped[str | None] = mapped_column(String(32))
    invited_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class AccountSession(Base):
    """A signed-in browser: the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "account_sessions"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SignIn(Base):
    """One sign-in attempt: who (if the login was known), when, from which client, how it went."""

    __tablename__ = "account_sign_ins"
    __table_args__ = (Index("ix_account_sign_ins_client_at", "client", "at"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Coarse client fingerprint (a truncated keyed hash of the network prefix), never the IP.
    client: Mapped[str] = mapped_column(String(16))
    success: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(20))


class Passkey(Base):
    """A WebAuthn credential of an account (optional, besides the password)."""

    __tablename__ = "account_passkeys"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInt)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PasskeyChallenge(Base):
    """A WebAuthn challenge, one-time, bound to the browser that asked for it (its session, or
    before sign-in its pre-session cookie) through ``binding``, a SHA-256."""

    __tablename__ = "account_passkey_challenges"

    binding: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
