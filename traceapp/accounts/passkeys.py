"""Optional passkeys (WebAuthn, the ``webauthn`` package): registered from the account page,
used on the sign-in page instead of a password. A challenge is one-time, lives 5 minutes and is
bound to the browser that asked for it. A passkey sign-in meets the per-client limit and the
suspension as a password's does, and leaves the same trail; a password lockout does not stop
it (a passkey cannot be guessed)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from traceapp.accounts.errors import AccountInvalid, SignInRefused
from traceapp.accounts.models import Account, Passkey, PasskeyChallenge, SignIn
from traceapp.accounts.sessions import refuse_busy_client

CHALLENGE_LIFETIME = timedelta(minutes=5)
MAX_PASSKEYS = 10


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: the host of ``TRACEAPP_PUBLIC_URL`` and its origin."""

    rp_id: str
    origin: str

    @classmethod
    def of(cls, public_url: str) -> RelyingParty:
        parts = urlsplit(public_url)
        return cls(parts.hostname or "", f"{parts.scheme}://{parts.netloc}")


def binding(kind: str, value: str) -> bytes:
    return hashlib.sha256(f"{kind}\n{value}".encode()).digest()


def _now() -> datetime:
    return datetime.now(UTC)


def _new_challenge(session: Session, bound: bytes) -> bytes:
    challenge = secrets.token_bytes(32)
    session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.binding == bound))
    session.add(
        PasskeyChallenge(binding=bound, challenge=challenge, expires_at=_now() + CHALLENGE_LIFETIME)
    )
    return challenge


def _take_challenge(session: Session, bound: bytes) -> bytes | None:
    row = session.get(PasskeyChallenge, bound)
    if row is None:
        return None
    session.delete(row)  # one use, whatever the outcome
    return row.challenge if row.expires_at > _now() else None


def registration_options(session: Session, account: Account, bound: bytes, rp: RelyingParty) -> str:
    """The JSON a browser gives ``PublicKeyCredential.parseCreationOptionsFromJSON``."""
    existing = session.execute(
        select(Passkey.credential_id).where(Passkey.account_id == account.id)
    ).scalars()
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name="OCOP",
        user_id=account.public_id.encode(),
        user_name=account.login,
        user_display_name=account.name,
        challenge=_new_challenge(session, bound),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=c) for c in existing],
    )
    return options_to_json(options)


def register_passkey(
    session: Session, account: Account, bound: bytes, rp: RelyingParty, credential: str
) -> Passkey:
    challenge = _take_challenge(session, bound)
    if challenge is None:
        raise AccountInvalid("the passkey request expired: try again", field="passkey")
    count = session.execute(select(Passkey.id).where(Passkey.account_id == account.id)).all()
    if len(count) >= MAX_PASSKEYS:
        raise AccountInvalid(f"at most {MAX_PASSKEYS} passkeys", field="passkey")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except WebAuthnException:
        raise AccountInvalid("the passkey could not be verified", field="passkey") from None
    passkey = Passkey(
        account_id=account.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        created_at=_now(),
    )
    session.add(passkey)
    session.flush()
    return passkey


def sign_in_options(session: Session, bound: bytes, rp: RelyingParty) -> str:
    """Options for a discoverable credential: the browser offers the person's passkeys."""
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=_new_challenge(session, bound),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def _credential_id(credential: str) -> bytes | None:
    try:
        raw = json.loads(credential)["rawId"]
        return base64url_to_bytes(str(raw))
    except (ValueError, KeyError, TypeError):
        return None


def passkey_sign_in(
    session: Session, bound: bytes, rp: RelyingParty, credential: str, client: str
) -> Account:
    """The account whose passkey signed the challenge; raises ``SignInRefused`` (recorded)."""

    def refuse(account: Account | None, reason: str, message: str) -> SignInRefused:
        session.add(
            SignIn(
                account_id=account.id if account else None,
                at=_now(),
                client=client,
                success=False,
                reason=f"passkey_{reason}"[:20],
            )
        )
        return SignInRefused(message, reason)

    refuse_busy_client(session, client)
    challenge = _take_challenge(session, bound)
    credential_id = _credential_id(credential)
    passkey = (
        session.execute(
            select(Passkey).where(Passkey.credential_id == credential_id)
        ).scalar_one_or_none()
        if credential_id
        else None
    )
    if challenge is None or passkey is None:
        raise refuse(None, "wrong", "this passkey is not known here")
    account = session.get(Account, passkey.account_id)
    assert account is not None
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except WebAuthnException:
        raise refuse(account, "wrong", "the passkey could not be verified") from None
    if account.suspended_at is not None:
        raise refuse(account, "suspended", "this account is suspended")
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = _now()
    session.add(
        SignIn(account_id=account.id, at=_now(), client=client, success=True, reason="passkey")
    )
    return account


def passkeys_of(session: Session, account_id: int) -> list[Passkey]:
    return list(
        session.execute(
            select(Passkey).where(Passkey.account_id == account_id).order_by(Passkey.created_at)
        ).scalars()
    )
