"""Passwords: argon2id hashes (argon2-cffi's RFC 9106 low-memory profile), a minimum length, and
refusal of the 20,000 most common passwords (``common-passwords.txt.gz``, see SOURCE.txt)."""

from __future__ import annotations

import gzip
import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from traceapp.accounts.errors import PasswordRefused

MIN_LENGTH = 10
# A bound on the work one request can ask of argon2 and of the list lookup.
MAX_LENGTH = 256

# argon2id, 64 MiB, 3 passes, 4 lanes: RFC 9106's second recommended option.
_HASHER = PasswordHasher()


@cache
def common_passwords() -> frozenset[str]:
    data = resources.files("traceapp.accounts").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def _normalised(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def check_password(password: str) -> None:
    """Refuse a password that is too short, too long or common (the list is lowercase)."""
    password = _normalised(password)
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(
            f"must be at least {MIN_LENGTH} characters", field="password", code="PASSWORD_SHORT"
        )
    if len(password) > MAX_LENGTH:
        raise PasswordRefused(
            f"must be at most {MAX_LENGTH} characters", field="password", code="PASSWORD_LONG"
        )
    if password.lower().strip() in common_passwords():
        raise PasswordRefused(
            "is one of the most common passwords", field="password", code="PASSWORD_COMMON"
        )


def hash_password(password: str) -> str:
    return _HASHER.hash(_normalised(password))


def verify_password(stored: str, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(stored, _normalised(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


# Verified against when the login is unknown, so that answering takes as long either way.
DUMMY_HASH = _HASHER.hash("not a password of anyone")
