"""Many writers, one log: no gap, no fork; a killed writer loses nothing acknowledged."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from support.integrity import assert_ledger_intact
from support.scenario import Scenario

from traceapp.db.sessions import Database
from traceapp.events.models import Event
from traceapp.ledger_store.writer import Ledger

WRITERS = 8
# The figure on PostgreSQL; SQLite serialises writers anyway, so fewer suffice there.
STATEMENTS = {"postgresql": 200, "sqlite": 50}
WORKER = Path(__file__).with_name("writer_process.py")


def _run_writer(
    config: dict[str, Any], scenario: Scenario, worker: int, count: int, queue: Any
) -> None:
    from traceapp import create_app
    from traceapp.batches.services import BatchInput, create_batch
    from traceapp.db.sessions import get_database
    from traceapp.ledger_runtime import get_ledger

    app = create_app(config)
    database, ledger = get_database(app), get_ledger(app)
    indices = []
    for n in range(count):
        with database.write() as s:
            receipt = create_batch(
                s,
                ledger,
                scenario.producer_key,
                BatchInput(
                    product=scenario.product, lot=f"W{worker}-{n}", production_date="2026-12-01"
                ),
            )
        indices.append(receipt.ledger_index)
    queue.put(indices)


def test_concurrent_writers_keep_one_contiguous_chain(
    app_config: dict[str, Any], database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    with database.read_sessions() as s:
        start = assert_ledger_intact(s, ledger)
    count = STATEMENTS[database.engine.dialect.name]
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(target=_run_writer, args=(app_config, scenario, w, count, queue))
        for w in range(WRITERS)
    ]
    for p in processes:
        p.start()
    results = [queue.get(timeout=600) for _ in processes]
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0
    indices = sorted(i for r in results for i in r)
    assert indices == list(range(start, start + WRITERS * count))
    with database.read_sessions() as s:
        assert assert_ledger_intact(s, ledger) == start + WRITERS * count


@pytest.mark.parametrize("kill_at", ["inside-transaction", "random"])
def test_sigkill_mid_bulk_append_loses_nothing_acknowledged(
    app: Flask,
    app_config: dict[str, Any],
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    kill_at: str,
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "WRITER_CONFIG": repr(app_config),
        "WRITER_PRODUCT_KEY": scenario.producer_key,
        "WRITER_ITEMS": ",".join(scenario.items),
        "WRITER_PAUSE": "1" if kill_at == "inside-transaction" else "0",
    }
    child = subprocess.Popen(
        [sys.executable, str(WORKER)], env=env, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    assert child.stdout is not None
    acknowledged: list[str] = []
    try:
        for line in child.stdout:
            word, _, value = line.strip().partition(" ")
            if word == "ACK":
                acknowledged.append(value)
            elif word == "IN-TXN" or (word == "BULK" and kill_at == "random"):
                if kill_at == "random":
                    time.sleep(0.05 + (hash(tmp_path) % 100) / 400)
                child.send_signal(signal.SIGKILL)
                break
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert len(acknowledged) == 20
    with database.read_sessions() as s:
        recorded = set(s.execute(select(Event.event_id)).scalars())
        bulk = s.execute(
            select(func.count()).select_from(Event).where(Event.biz_step == "storing")
        ).scalar_one()
        assert_ledger_intact(s, ledger)
    assert set(acknowledged) <= recorded
    assert bulk in (0, 1000)  # all of the bulk append or none of it
