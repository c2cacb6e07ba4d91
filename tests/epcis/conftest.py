"""Fixtures for EPCIS capture and export: the app's ledger, its admin, the shared scenario."""

from __future__ import annotations

import pytest
from flask import Flask
from support.scenario import Scenario, build_scenario

from traceapp.db import Database, get_database
from traceapp.keys.services import admin_key_name
from traceapp.ledger_store.runtime import get_ledger
from traceapp.ledger_store.writer import Ledger


@pytest.fixture
def database(app: Flask) -> Database:
    return get_database(app)


@pytest.fixture
def ledger(app: Flask) -> Ledger:
    return get_ledger(app)


@pytest.fixture
def admin(database: Database) -> str:
    with database.read_sessions() as session:
        return admin_key_name(session)


@pytest.fixture
def scenario(database: Database, ledger: Ledger, admin: str) -> Scenario:
    return build_scenario(database, ledger, admin)
