"""Issue 14 item 15: a batch's origin is its producer's own place; its inputs may be bought in.

``createBatch`` accepted another producer's location as origin. The origin is now refused
(FORBIDDEN, whoever signs); another producer's batch stays allowed as an input (raw materials
bought from it), recorded as the input it is: it remains the other producer's batch.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.batches.errors import ForeignOrigin
from traceapp.batches.models import Batch, BatchInput
from traceapp.batches.services import BatchInput as NewBatch
from traceapp.batches.services import batch_producer, create_batch
from traceapp.db.sessions import Database
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.services import LocationInput, register_location
from traceapp.producers.services import ProducerInput, producer_key, register_producer
from traceapp.products.services import ProductInput, register_product


def _rival(database: Database, ledger: Ledger, admin: str) -> tuple[str, str, str, str]:
    """Producer B with a product and a workshop: (producer, key, product, location)."""
    with database.write() as s:
        rival = register_producer(
            s,
            ledger,
            admin,
            ProducerInput(
                kind="cooperative",
                name="Hợp tác xã Bánh chưng Tranh Khúc",
                province="Hà Nội",
                address_recorded_on="2025-07-01",
            ),
        ).public_ids[0]
    with database.write() as s:
        key = producer_key(s, rival)
        product = register_product(
            s,
            ledger,
            key,
            ProductInput(rival, "8938505974033", "Bánh chè Shan tuyết", "food"),
        ).public_ids[0]
        workshop = register_location(
            s, ledger, key, LocationInput(rival, "XUONG-1", "Xưởng bánh Tranh Khúc", "facility")
        ).public_ids[0]
    return rival, key, product, workshop


def test_an_origin_must_be_a_place_of_the_batch_producer(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    _rival_id, key, product, workshop = _rival(database, ledger, admin)
    for actor, data in (
        (key, NewBatch(product, "B-1", date(2026, 11, 20), origin_location=scenario.farm)),
        (admin, NewBatch(scenario.product, "A-9", date(2026, 11, 20), origin_location=workshop)),
    ):
        with pytest.raises(ForeignOrigin) as refused, database.write() as s:
            create_batch(s, ledger, actor, data)
        assert refused.value.code == "FORBIDDEN" and refused.value.field == "originLocation"
    with database.write() as s:
        create_batch(
            s, ledger, key, NewBatch(product, "B-2", date(2026, 11, 20), origin_location=workshop)
        )


def test_another_producers_batch_is_an_input_and_stays_its_own(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    rival, key, product, _workshop = _rival(database, ledger, admin)
    with database.write() as s:
        made = create_batch(
            s,
            ledger,
            key,
            NewBatch(product, "B-3", date(2026, 11, 21), inputs=[scenario.batch]),
        ).public_ids[0]
    with database.read_sessions() as s:
        batch = s.execute(select(Batch).where(Batch.public_id == made)).scalar_one()
        (link,) = s.execute(select(BatchInput).where(BatchInput.batch_id == batch.id)).scalars()
        bought = s.get(Batch, link.input_batch_id)
        assert bought is not None and bought.public_id == scenario.batch
        assert batch_producer(s, bought) == scenario.producer
        assert batch_producer(s, batch) == rival
