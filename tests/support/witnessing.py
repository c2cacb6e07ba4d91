"""Witnessing test helpers: test witnesses (support/tlog_witness.py), a witnessed app, appends."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from ledger.signing import Signer
from support.scenario import Scenario
from support.tlog_witness import TestWitness
from traceapp import create_app
from traceapp.db.sessions import Database
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.services import LocationInput, register_location
from traceapp.producers.services import producer_key

ORIGIN = "truyxuat.ocop.example.vn/ledger"
_codes = itertools.count()


def log_signer(log_key_file: Path) -> Signer:
    return Signer.from_private_key_string(log_key_file.read_text().strip())


@pytest.fixture
def test_witnesses(log_key_file: Path) -> Iterator[list[TestWitness]]:
    """Two independent test witnesses of our log, serving on free ports."""
    public = log_signer(log_key_file).public_key
    witnesses = [TestWitness(f"witness{i}.example/w", ORIGIN, public) for i in (1, 2)]
    for w in witnesses:
        w.start()
    yield witnesses
    for w in witnesses:
        w.release()
        w.down()


def witnessed_app(app_config: dict[str, Any], witnesses: list[TestWitness], **extra: Any) -> Flask:
    config = dict(app_config)
    config["WITNESSES"] = "; ".join(f"{w.vkey} {w.url}" for w in witnesses)
    config.update(extra)
    return create_app(config)


def append(database: Database, ledger: Ledger, scenario: Scenario, count: int = 1) -> None:
    """``count`` appends, one transaction each (a new location each)."""
    for _ in range(count):
        n = next(_codes)
        with database.write() as s:
            key = producer_key(s, scenario.producer)
            register_location(
                s, ledger, key, LocationInput(scenario.producer, f"W-{n}", f"Kho {n}", "shop")
            )
