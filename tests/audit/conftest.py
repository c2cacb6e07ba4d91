from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from support.scenario import VN, Scenario, build_scenario

from traceapp.batches.models import Item
from traceapp.batches.services import BatchInput, claim_item, create_batch
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput, Quantity
from traceapp.events.models import Event
from traceapp.events.services import declare_error, record_event
from traceapp.keys.services import admin_key_name, service_key_name
from traceapp.ledger_store.writer import Ledger
from traceapp.recalls.services import RecallInput, issue_recall


@pytest.fixture
def populated(database: Database, ledger: Ledger) -> Scenario:
    """The scenario plus a transformation, a correction, a recall and a claim: every table."""
    with database.read_sessions() as s:
        admin = admin_key_name(s)
    scenario = build_scenario(database, ledger, admin)
    with database.write() as s:
        key = scenario.producer_key
        bags = create_batch(
            s,
            ledger,
            key,
            BatchInput(
                product=scenario.product,
                lot="TUI-LOC-01",
                production_date="2026-11-20",
                inputs=[scenario.batch],
                quantity="40",
                unit="kg",
            ),
        ).public_ids[0]
        record_event(
            s,
            ledger,
            key,
            EventInput(
                type="TransformationEvent",
                event_time=datetime(2026, 11, 20, 8, tzinfo=VN),
                biz_step="commissioning",
                input_quantities=[Quantity(scenario.batch, 40, "KGM")],
                output_quantities=[Quantity(bags, 40, "KGM")],
                read_point=scenario.farm,
            ),
        )
        shipped = s.execute(select(Event).where(Event.biz_step == "shipping")).scalar_one()
        declare_error(
            s,
            ledger,
            key,
            shipped.event_id,
            "incorrect_data",
            [
                EventInput(
                    type="ObjectEvent",
                    event_time=datetime(2026, 11, 4, 9, tzinfo=VN),
                    biz_step="shipping",
                    items=scenario.items,
                    read_point=scenario.farm,
                )
            ],
        )
        issue_recall(s, ledger, key, RecallInput([bags], "Nhãn sai hạn sử dụng", "medium"))
    with database.write() as s:
        item = s.execute(select(Item).where(Item.public_id == scenario.items[0])).scalar_one()
        claim_item(s, ledger, service_key_name(s), item)
    return scenario
