"""``traceapp ledger verify [--deep] | export | rebuild`` past every batch and progress boundary.

Replays project 1,000 entries at a time and the progress bars count in those steps: a log of
1,000 entries or more once crashed ``verify --deep`` (issue 14, item 3). The logs are grown
with the app's own bulk path: the shared scenario, then ``record_events`` a thousand at a time.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url
from support.scenario import build_scenario

from ledger.export import read_export
from ledger.fast.verify import verify_export
from ledger.signing import sign_statement
from traceapp import create_app, migrate
from traceapp.db.sessions import get_database
from traceapp.events.services import EventInput, record_events
from traceapp.keys.services import ADMIN_KEY_NAME, init_ledger, key_registered
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.models import AuditRun, LedgerHead
from traceapp.ledger_store.rebuild import snapshot
from traceapp.ledger_store.sequencer import SignedStatement

CHUNK = 1000  # events a transaction, as bench_domain appends them


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at the migrations' head, without even a genesis."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/blank.db"
        migrate.upgrade(url)
        yield url
        return
    server = make_url(request.getfixturevalue("postgres_server_url"))
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"traceapp_sizes_{secrets.token_hex(6)}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _app(url: str, tmp_path: Path, log_key_file: Path) -> Flask:
    key = tmp_path / "instance" / "log.key"
    key.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(log_key_file, key)
    key.chmod(0o600)
    origin = log_key_file.read_text().split("+")[2]  # PRIVATE+KEY+<origin>+<hex8>+<key>
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "LOG_KEY_FILE": str(key),
            "LOG_ORIGIN": origin,
        }
    )


def grow(app: Flask, size: int) -> None:
    """Append ``size`` entries: the genesis (entry 0), then, from 2 entries on, the service key,
    the shared scenario and bulk inspection events (the app's fastest bulk path)."""
    database, ledger = get_database(app), get_ledger(app)
    if size == 0:
        return
    with database.write() as session:
        if size == 1:
            signer = ledger.keystore.create(session, ADMIN_KEY_NAME)
            genesis = key_registered(signer.vkey, "admin", None)
            signature = sign_statement(signer, genesis.type, genesis.statement)
            ledger.record(
                session,
                [SignedStatement(genesis.type, signer.key_name, genesis.statement, signature)],
            )
            return
        admin, _service = init_ledger(session, ledger)
    scenario = build_scenario(database, ledger, admin)
    with database.read_sessions() as session:
        head = session.get(LedgerHead, ledger.origin)
        assert head is not None and head.size < size
        grown = head.size
    start = datetime(2026, 12, 1, tzinfo=UTC)
    while grown < size:
        count = min(CHUNK, size - grown)
        events = [
            EventInput(
                type="ObjectEvent",
                event_time=start + timedelta(seconds=n),
                biz_step="inspecting",
                items=[scenario.items[n % len(scenario.items)]],
                read_point=scenario.farm,
            )
            for n in range(grown, grown + count)
        ]
        with database.write() as session:
            record_events(session, ledger, scenario.producer_key, events)
        grown += count


def check_commands(app: Flask, size: int, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    database = get_database(app)
    with database.read_sessions() as session:
        projections = snapshot(session)
    outputs = {}
    for deep, reference in ((False, False), (True, False), (False, True)):
        flags = ["--deep"] * deep + ["--reference"] * reference
        result = runner.invoke(args=["ledger", "verify", *flags])
        outputs[deep, reference] = (result.exit_code, result.stdout, result.stderr)
        if size == 0:
            assert result.exit_code == 1, result.output
            assert "FAILED: ledger_heads: no head row: the log has no genesis" in result.stderr
        else:
            assert result.exit_code == 0, result.output
            assert result.stdout.startswith(f"OK: {size} entries, "), result.stdout
            if deep:
                rows = sum(len(table) for table in projections.values())
                assert result.stdout.endswith(f", {rows} projection rows match a replay\n")
        with database.read_sessions() as session:
            run = session.execute(select(AuditRun).order_by(AuditRun.id.desc())).scalars().first()
        assert run is not None and (run.deep, run.size, run.ok) == (deep, size, size > 0)
    # The sequential reference verifier alone gives the same verdict, word for word.
    assert outputs[False, True] == outputs[False, False]

    export = tmp_path / f"export-{size}.jsonl"
    result = runner.invoke(args=["ledger", "export", str(export)])
    if size == 0:
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.stderr.strip().splitlines()[-1] == "Error: the log has no checkpoint yet"
        assert not export.exists()
    else:
        assert result.exit_code == 0, result.output
        assert result.stdout == f"exported {size} entries to {export}\n"
        with export.open("rb") as fp:
            assert verify_export(read_export(fp), jobs=1).size == size

    result = runner.invoke(args=["ledger", "rebuild"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        f"rebuilt the projections from {size} entries",
        "folded 0 scans into the statistics",  # no page was viewed
    ]
    with database.read_sessions() as session:
        assert snapshot(session) == projections


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001])
def test_ledger_commands_at_batch_boundaries(
    blank_url: str, tmp_path: Path, log_key_file: Path, size: int
) -> None:
    app = _app(blank_url, tmp_path, log_key_file)
    try:
        grow(app, size)
        check_commands(app, size, tmp_path)
    finally:
        get_database(app).dispose()


@pytest.mark.slow
def test_ledger_commands_on_a_log_of_100_001_entries(tmp_path: Path, log_key_file: Path) -> None:
    url = f"sqlite:///{tmp_path}/large.db"
    migrate.upgrade(url)
    app = _app(url, tmp_path, log_key_file)
    try:
        started = time.monotonic()
        grow(app, 100_001)
        print(f"grown in {time.monotonic() - started:.1f} s")
        check_commands(app, 100_001, tmp_path)
        print(f"checked in {time.monotonic() - started:.1f} s")
    finally:
        get_database(app).dispose()
