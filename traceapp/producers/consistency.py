"""The personal-data check of ``traceapp ledger verify --deep`` (principle 5).

The ledger holds, for each personal field of a registered producer, SHA-256(salt || value);
``personal_data`` keeps the salt and value off the ledger. Every ledgered digest must have its
row, and each row must be the ledger's: its digest column the ledgered one, and its value
hashing to it, unless the field was erased (``erase_personal_data`` clears value and salt
together and keeps the row, so erased fields still pass).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.fast.scanner import parse_entry
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.stored_rows import AuditFailure, b64
from traceapp.producers.models import PersonalData
from traceapp.producers.services import personal_digest


def check_personal_data(session: Session, origin: str) -> None:
    """Off-ledger personal data must match the salted hashes the ledger holds."""
    ledgered: dict[tuple[str, str], str] = {}
    # The registrations alone, by the type column's index: the audit compared every entry's type
    # column with its bytes before the domain checks run, so the index misses none.
    registrations = session.execute(
        select(LedgerEntry.entry)
        .where(LedgerEntry.log == origin, LedgerEntry.type == "producer.registered")
        .order_by(LedgerEntry.seq)
    ).scalars()
    for data in registrations:
        statement = parse_entry(data).statement
        for name, digest in statement["personal"].items():
            ledgered[(statement["id"], name)] = digest
    stored = {
        (row.producer_public_id, row.field): row
        for row in session.execute(select(PersonalData)).scalars()
    }
    for key in sorted(ledgered.keys() | stored.keys()):
        row = stored.get(key)
        if row is None:
            raise AuditFailure(
                f"personal_data {key}: missing (the ledger holds its salted hash; "
                "erasure keeps the row)"
            )
        if b64(row.digest) != ledgered.get(key):
            raise AuditFailure(
                f"personal_data {key} column digest: expected {ledgered.get(key)}, "
                f"found {b64(row.digest)}"
            )
        if row.value is None and row.salt is None:
            continue  # erased
        if row.value is None or row.salt is None:
            cleared = "salt" if row.salt is None else "value"
            raise AuditFailure(
                f"personal_data {key} column {cleared}: NULL, but erasure clears value and salt "
                "together"
            )
        if personal_digest(row.salt, row.value) != row.digest:
            raise AuditFailure(
                f"personal_data {key} column value: does not hash to the ledgered digest"
            )
