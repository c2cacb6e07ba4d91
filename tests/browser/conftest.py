from __future__ import annotations

import pytest
from flask import Flask
from support.scenario import Scenario, build_scenario

from traceapp.db import get_database
from traceapp.keys.services import admin_key_name
from traceapp.ledger_store.runtime import get_ledger


@pytest.fixture
def scenario(app: Flask) -> Scenario:
    database = get_database(app)
    with database.read_sessions() as session:
        admin = admin_key_name(session)
    return build_scenario(database, get_ledger(app), admin)
