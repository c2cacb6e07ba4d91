from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from support.scenario import Scenario, build_scenario

from traceapp.batches.models import Item
from traceapp.db import get_database
from traceapp.keys.services import admin_key_name
from traceapp.ledger_store.runtime import get_ledger


@pytest.fixture
def scenario(app: Flask) -> Scenario:
    database = get_database(app)
    with database.read_sessions() as session:
        admin = admin_key_name(session)
    return build_scenario(database, get_ledger(app), admin)


@pytest.fixture
def serials(app: Flask, scenario: Scenario) -> list[str]:
    """The scenario's item serials, in the order of scenario.items."""
    with get_database(app).read_sessions() as session:
        rows = dict(
            session.execute(
                select(Item.public_id, Item.serial).where(Item.public_id.in_(scenario.items))
            ).all()
        )
    return [rows[i] for i in scenario.items]
