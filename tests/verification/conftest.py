from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.batches.models import Item
from traceapp.db.sessions import get_database


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
