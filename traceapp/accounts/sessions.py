"""Signing in and server-side sessions.

Limits (counted in the database, like wrong PINs: every worker sees the same counts):
five wrong passwords in a row lock the account for 15 minutes; twenty failed sign-ins from one
client (a keyed hash of its network prefix) within 15 minutes refuse that client until the
window has passed. Every attempt is recorded in ``account_sign_ins``.
"""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceapp.accounts.errors import AccountInvalid, SignInRefused
from traceapp.accounts.models import Account, AccountSession, SignIn
from traceapp.accounts.passwords import (
    DUMMY_HASH,
    check_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from traceapp.accounts.services import (
    new_secret,
    normalise_login,
    revoke_sessions,
    secret_hash,
)

ACCOUNT_FAILURES = 5
LOCK_TIME = timedelta(minutes=15)
CLIENT_FAILURES = 20
CLIENT_WINDOW = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(days=7)
# last_seen_at is written at most this often: a page view is not a write.
TOUCH_EVERY = timedelta(minutes=5)


def _now() -> datetime:
    return datetime.now(UTC)


def _wait(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _record(
    session: Session, account: Account | None, client: str, success: bool, reason: str
) -> None:
    session.add(
        SignIn(
            account_id=account.id if account else None,
            at=_now(),
            client=client,
            success=success,
            reason=reason,
        )
    )


def refuse_busy_client(session: Session, client: str) -> None:
    """Refuse (and record) a client with too many failed sign-ins in the window."""
    now = _now()
    failures = session.execute(
        select(func.count(), func.min(SignIn.at)).where(
            SignIn.client == client,
            SignIn.at > now - CLIENT_WINDOW,
            SignIn.success.is_(False),
            # Refusals for the limit itself do not extend it: Retry-After stays true.
            SignIn.reason != "client_limit",
        )
    ).one()
    if failures[0] >= CLIENT_FAILURES:
        _record(session, None, client, False, "client_limit")
        raise SignInRefused(
            "too many failed sign-ins from this device",
            "client_limit",
            _wait(failures[1] + CLIENT_WINDOW, now),
        )


def sign_in(session: Session, login: str, password: str, client: str) -> Account:
    """The account these credentials open; raises ``SignInRefused`` (after recording it).

    The caller commits in both cases: a refusal's record and counters must be kept.
    """
    now = _now()
    refuse_busy_client(session, client)
    try:
        key = normalise_login(login)
    except AccountInvalid:
        key = None
    account = (
        session.execute(select(Account).where(Account.login == key)).scalar_one_or_none()
        if key
        else None
    )
    if account is None:
        verify_password(DUMMY_HASH, password)  # the same time as a known login
        _record(session, None, client, False, "unknown")
        raise SignInRefused("wrong email, phone or password", "wrong")
    if account.locked_until is not None and account.locked_until > now:
        _record(session, account, client, False, "locked")
        raise SignInRefused(
            "this account is locked after too many wrong passwords",
            "locked",
            _wait(account.locked_until, now),
        )
    if not verify_password(account.password_hash, password):
        account.failed_sign_ins += 1
        if account.failed_sign_ins >= ACCOUNT_FAILURES:
            account.failed_sign_ins = 0
            account.locked_until = now + LOCK_TIME
        _record(session, account, client, False, "wrong")
        raise SignInRefused("wrong email, phone or password", "wrong")
    if account.suspended_at is not None:
        _record(session, account, client, False, "suspended")
        raise SignInRefused("this account is suspended", "suspended")
    account.failed_sign_ins = 0
    account.locked_until = None
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    _record(session, account, client, True, "ok")
    return account


def start_session(session: Session, account: Account, client: str) -> tuple[AccountSession, str]:
    """A new session with a new random ID (never one the browser brought: no fixation)."""
    token = new_secret()
    now = _now()
    row = AccountSession(
        token_hash=secret_hash(token),
        account_id=account.id,
        csrf_token=secrets.token_urlsafe(32),
        client=client,
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(row)
    session.flush()
    return row, token


def live_session(session: Session, token: str) -> tuple[AccountSession, Account] | None:
    """The live session of this cookie and its account; None if unknown, ended, expired or the
    account is suspended."""
    if not token:
        return None
    found = session.execute(
        select(AccountSession, Account)
        .join(Account, Account.id == AccountSession.account_id)
        .where(AccountSession.token_hash == secret_hash(token))
    ).first()
    if found is None:
        return None
    row, account = found
    if row.revoked_at is not None or row.expires_at <= _now() or account.suspended_at is not None:
        return None
    return row, account


def needs_touch(row: AccountSession) -> bool:
    return _now() - row.last_seen_at >= TOUCH_EVERY


def touch(session: Session, session_id: int) -> None:
    row = session.get(AccountSession, session_id)
    if row is not None:
        row.last_seen_at = _now()


def end_session(session: Session, token: str) -> None:
    row = session.execute(
        select(AccountSession).where(AccountSession.token_hash == secret_hash(token))
    ).scalar_one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = _now()


def sign_out_everywhere(session: Session, account_id: int) -> int:
    return revoke_sessions(session, [account_id])


def change_password(
    session: Session, account_id: int, current: str, new: str, keep_session: int
) -> None:
    """Change the password (the current one must be right); every other session ends."""
    account = session.get(Account, account_id)
    assert account is not None
    if not verify_password(account.password_hash, current):
        raise AccountInvalid("the current password is wrong", field="current")
    check_password(new)
    account.password_hash = hash_password(new)
    others = session.execute(
        select(AccountSession.id).where(
            AccountSession.account_id == account_id,
            AccountSession.id != keep_session,
            AccountSession.revoked_at.is_(None),
        )
    ).scalars()
    for other in others:
        row = session.get(AccountSession, other)
        if row is not None:
            row.revoked_at = _now()


def set_language(session: Session, account_id: int, language: str | None) -> None:
    account = session.get(Account, account_id)
    assert account is not None
    account.language = language if language in ("vi", "en") else None


def recent_sign_ins(session: Session, account_id: int, limit: int = 20) -> list[SignIn]:
    return list(
        session.execute(
            select(SignIn)
            .where(SignIn.account_id == account_id)
            .order_by(SignIn.at.desc(), SignIn.id.desc())
            .limit(limit)
        ).scalars()
    )
