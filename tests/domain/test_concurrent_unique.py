"""Issue 14 item 5, the class: every unique constraint a write can hit on PostgreSQL.

Two requests plan the same new object before either commits (see ``support.races``): the
second's insert breaks a unique constraint. It must be refused as the plan refuses a
sequential duplicate (same code and field), with nothing of its transaction written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support.integrity import assert_ledger_intact
from support.races import race
from support.scenario import Scenario

from ledger.signing import Signer
from traceapp.auth.models import ApiToken
from traceapp.auth.services import create_token
from traceapp.batches.services import BatchInput, create_batch, issue_items
from traceapp.db.sessions import Database, get_database
from traceapp.errors import DomainError
from traceapp.keys.services import register_key
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.service import Receipt
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.services import LocationInput, register_location
from traceapp.producers.services import ProducerInput, register_producer
from traceapp.products.services import ProductInput, register_product

# A write of the scenario's world: (session, ledger, scenario, admin, variant) -> receipt; the
# variant changes what is not unique, so each request is a request of its own.
Write = Callable[[Session, Ledger, Scenario, str, int], Receipt]

NEW_GTIN = "8938505974026"
VKEY = Signer.generate("racer").vkey


def _producer(s: Session, ledger: Ledger, sc: Scenario, admin: str, variant: int) -> Receipt:
    data = ProducerInput(
        kind="household_business",
        name=f"Hộ kinh doanh {variant}",
        province="Lào Cai",
        address_recorded_on=date(2026, 1, 1),
        tax_code="5300999999",
    )
    return register_producer(s, ledger, admin, data)


def _product(s: Session, ledger: Ledger, sc: Scenario, admin: str, variant: int) -> Receipt:
    data = ProductInput(sc.producer, NEW_GTIN, f"Trà {variant}", "drinks")
    return register_product(s, ledger, sc.producer_key, data)


def _batch(s: Session, ledger: Ledger, sc: Scenario, admin: str, variant: int) -> Receipt:
    data = BatchInput(sc.product, "L2026-12B", date(2026, 12, variant + 1))
    return create_batch(s, ledger, sc.producer_key, data)


def _location(s: Session, ledger: Ledger, sc: Scenario, admin: str, variant: int) -> Receipt:
    data = LocationInput(sc.producer, f"WH-{variant}", "Kho", "warehouse", gln="8938505970004")
    return register_location(s, ledger, sc.producer_key, data)


def _key(s: Session, ledger: Ledger, sc: Scenario, admin: str, variant: int) -> Receipt:
    return register_key(s, ledger, admin, VKEY, "producer", sc.producer)


def _ledger_size(database: Database) -> int:
    with database.read_sessions() as s:
        return int(s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())


def _sequential_refusal(
    database: Database, ledger: Ledger, scenario: Scenario, admin: str, write: Write
) -> DomainError:
    with pytest.raises(DomainError) as refused, database.write() as s:
        write(s, ledger, scenario, admin, 2)
    return refused.value


@pytest.mark.parametrize(
    "write",
    [_producer, _product, _batch, _location, _key],
    ids=["producer-tax-code", "product-gtin", "batch-lot", "location-gln", "key"],
)
def test_a_concurrent_duplicate_is_refused_as_a_sequential_one(
    app_config: dict[str, Any],
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    admin: str,
    write: Write,
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: no race")

    def second(other: Flask) -> Receipt:
        with get_database(other).write() as s:
            # Something else written first in the same transaction: it must go with the rest.
            create_token(s, "auditor", label="racer")
            return write(s, get_ledger(other), scenario, admin, 1)

    outcome = race(app_config, database, lambda s: write(s, ledger, scenario, admin, 0), second)
    after_first = _ledger_size(database)

    error = outcome.error
    assert isinstance(error, DomainError), repr(error)
    sequential = _sequential_refusal(database, ledger, scenario, admin, write)
    assert error.code == "ALREADY_EXISTS"
    assert (error.code, error.field) == (sequential.code, sequential.field)
    # Nothing of the second request was written: its whole transaction was rolled back.
    assert _ledger_size(database) == after_first
    with database.read_sessions() as s:
        assert assert_ledger_intact(s, ledger) == after_first
        assert s.execute(select(ApiToken.id).where(ApiToken.label == "racer")).first() is None


# A write under an idempotency key: (session, ledger, scenario, variant, key) -> receipt; the
# variant 0 is the first request, 1 the same request again, 2 another request.
KeyedWrite = Callable[[Session, Ledger, Scenario, int, str], Receipt]


def _keyed_product(s: Session, ledger: Ledger, sc: Scenario, variant: int, key: str) -> Receipt:
    gtin = "8938505974033" if variant == 2 else NEW_GTIN
    data = ProductInput(sc.producer, gtin, "Trà", "drinks")
    return register_product(s, ledger, sc.producer_key, data, idempotency_key=key)


def _keyed_items(s: Session, ledger: Ledger, sc: Scenario, variant: int, key: str) -> Receipt:
    count = 4 if variant == 2 else 3
    return issue_items(
        s, ledger, sc.producer_key, sc.batch, count, with_pins=True, idempotency_key=key
    ).receipt


@pytest.mark.parametrize("write", [_keyed_product, _keyed_items], ids=["product", "items"])
@pytest.mark.parametrize("same_request", [True, False], ids=["same-request", "mixed-inputs"])
def test_two_writes_sharing_an_idempotency_key(
    app_config: dict[str, Any],
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    same_request: bool,
    write: KeyedWrite,
) -> None:
    """Both derive the same public IDs (and serials) from the key: the second is refused,
    ALREADY_EXISTS, and sent again it gets what a sequential request with that key gets (the
    first's result, or IDEMPOTENCY_CONFLICT for another request)."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: no race")
    variant = 1 if same_request else 2
    receipts: list[Receipt] = []

    def second(other: Flask) -> Receipt:
        with get_database(other).write() as s:
            return write(s, get_ledger(other), scenario, variant, "k1")

    outcome = race(
        app_config,
        database,
        lambda s: receipts.append(write(s, ledger, scenario, 0, "k1")),
        second,
    )
    after_first = _ledger_size(database)
    error = outcome.error
    assert isinstance(error, DomainError) and error.code == "ALREADY_EXISTS", repr(error)

    with database.write() as s:
        if same_request:
            again = write(s, ledger, scenario, variant, "k1")
            assert again.replayed and again.public_ids == receipts[0].public_ids
        else:
            with pytest.raises(DomainError) as conflict:
                write(s, ledger, scenario, variant, "k1")
            assert conflict.value.code == "IDEMPOTENCY_CONFLICT"
    assert _ledger_size(database) == after_first
    with database.read_sessions() as s:
        assert assert_ledger_intact(s, ledger) == after_first
