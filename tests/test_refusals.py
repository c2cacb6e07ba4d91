"""The app's unique-constraint refusals: each names a real constraint, and both engines'
reports of a broken one lead to it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient
from support.scenario import Scenario

import traceapp.models  # noqa: F401  (every table in the metadata)
from traceapp.batches.errors import BatchExists
from traceapp.batches.models import Batch
from traceapp.db.base import Base
from traceapp.db.sessions import Database
from traceapp.ledger_store.models import IdempotencyRecord
from traceapp.ledger_store.unique import unique_refusal
from traceapp.refusals import UNIQUE_REFUSALS


def test_every_refusal_names_a_unique_constraint() -> None:
    constraints = {
        str(c.name)
        for table in Base.metadata.tables.values()
        for c in table.constraints
        if isinstance(c, UniqueConstraint | PrimaryKeyConstraint)
    }
    assert set(UNIQUE_REFUSALS) <= constraints


def test_a_broken_lot_constraint_is_the_domains_refusal(
    database: Database, scenario: Scenario
) -> None:
    with pytest.raises(IntegrityError) as broken, database.write() as s:
        batch = s.execute(select(Batch).where(Batch.public_id == scenario.batch)).scalar_one()
        s.expunge(batch)
        make_transient(batch)
        batch.id = None  # type: ignore[assignment]
        batch.public_id = "bat_copy"
        s.add(batch)
        s.flush()
    refusal = unique_refusal(broken.value, UNIQUE_REFUSALS, keyed=False)
    assert isinstance(refusal, BatchExists)
    assert (refusal.code, refusal.field) == ("ALREADY_EXISTS", "lot")
    # A constraint no domain declared, broken by a request without a key, stays an internal
    # error: nothing hides a bug.
    assert unique_refusal(broken.value, {}, keyed=False) is None


def test_a_key_used_twice_at_once_is_refused_on_the_key(database: Database) -> None:
    def record() -> IdempotencyRecord:
        return IdempotencyRecord(
            scope="someone",
            key="k1",
            request_hash=b"h",
            first_seq=0,
            last_seq=0,
            result="{}",
            created_at=datetime.now(UTC),
        )

    with database.write() as s:
        s.add(record())
    with pytest.raises(IntegrityError) as broken, database.write() as s:
        s.add(record())
        s.flush()
    refusal = unique_refusal(broken.value, {}, keyed=True)
    assert refusal is not None
    assert (refusal.code, refusal.field) == ("ALREADY_EXISTS", "idempotencyKey")
