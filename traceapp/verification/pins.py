"""Scratch-off PIN claims: a correct PIN ledgers ``item.claimed``; wrong ones lock the item.

Lockout lives in the database (PinAttempts), so it holds across workers and hosts: after every
MAX_FAILURES wrong PINs the item is locked, 15 minutes the first time, doubling each time after
(capped at a day). An 8-digit PIN then takes centuries to guess online.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceapp.batches.models import Item
from traceapp.batches.services import PIN_DIGITS, check_pin, claim_item
from traceapp.keys.services import service_key_name
from traceapp.ledger_store.writer import Ledger
from traceapp.scans import services as scans
from traceapp.scans.models import PinAttempts

MAX_FAILURES = 5
FIRST_LOCK = timedelta(minutes=15)
MAX_LOCK = timedelta(hours=24)

Outcome = Literal[
    "claimed", "wrong_pin", "malformed", "locked", "already_claimed", "no_pin", "not_claimable"
]
# What people type between the digits of a printed PIN ("5992 9770", "5992-9770").
_SEPARATORS = re.compile(r"[\s\-‐-―−.]+")
_PIN = re.compile(rf"[0-9]{{{PIN_DIGITS}}}")


@dataclass(frozen=True)
class ClaimResult:
    outcome: Outcome
    retry_after: int = 0
    """Seconds until the next attempt is accepted, when locked."""
    attempts_left: int = 0
    ledger_index: int | None = None


def normalise_pin(raw: str) -> str | None:
    """The PIN's ASCII digits, or None when it is not a PIN at all.

    NFKC turns full-width digits (a Vietnamese IME's "５９９２") into ASCII; spaces and dashes
    between groups are dropped. Anything else (letters, too few or many digits) is malformed.
    """
    cleaned = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    return cleaned if _PIN.fullmatch(cleaned) else None


def lock_duration(failures: int) -> timedelta:
    """15 min after the 5th failure, 30 after the 10th, 60 after the 15th ... at most a day."""
    doublings = min(max(failures // MAX_FAILURES - 1, 0), 16)  # bounded: 15 min x 2**7 > a day
    lock: timedelta = FIRST_LOCK * 2**doublings
    return min(lock, MAX_LOCK)


def claim_with_pin(
    session: Session, ledger: Ledger, item_public_id: str, pin: str, *, now: datetime, client: str
) -> ClaimResult:
    """Try a PIN in the caller's write transaction (which must commit even on a wrong PIN).

    A malformed PIN (``normalise_pin`` gives None) is refused before anything is counted.
    """
    # Locking the item row serialises concurrent guesses, so the counter cannot be raced.
    item = session.execute(
        select(Item).where(Item.public_id == item_public_id).with_for_update()
    ).scalar_one()
    if item.status == "claimed":
        return ClaimResult("already_claimed")
    if item.status in ("recalled", "destroyed"):
        return ClaimResult("not_claimable")
    if item.pin_digest is None:
        return ClaimResult("no_pin")
    normalised = normalise_pin(pin)
    if normalised is None:
        return ClaimResult("malformed")
    attempts = session.get(PinAttempts, item_public_id)
    if attempts is None:
        attempts = PinAttempts(item_public_id=item_public_id, failures=0)
        session.add(attempts)
    if attempts.locked_until is not None and attempts.locked_until > now:
        return ClaimResult("locked", retry_after=_seconds(attempts.locked_until - now))
    if not check_pin(session, item, normalised):
        attempts.failures += 1
        if attempts.failures % MAX_FAILURES == 0:
            attempts.locked_until = now + lock_duration(attempts.failures)
            return ClaimResult("locked", retry_after=_seconds(attempts.locked_until - now))
        left = MAX_FAILURES - attempts.failures % MAX_FAILURES
        return ClaimResult("wrong_pin", attempts_left=left)
    receipt = claim_item(session, ledger, service_key_name(session), item)
    attempts.failures, attempts.locked_until = 0, None
    scans.record(session, item_public_id, at=now, client=client, agent=None, result="claimed")
    return ClaimResult("claimed", ledger_index=receipt.ledger_index)


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))
