"""`traceapp ledger verify [--deep]` and `ledger export`, as an operator runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.db.sessions import Database
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.models import AuditRun


def test_verify_deep_passes_on_an_intact_database(
    runner: FlaskCliRunner, database: Database, populated: Scenario
) -> None:
    result = runner.invoke(args=["ledger", "verify", "--deep"])
    assert result.exit_code == 0, result.output
    assert "OK: " in result.output and "projection rows match a replay" in result.output
    with database.read_sessions() as s:
        run = s.execute(select(AuditRun)).scalar_one()
    assert run.ok and run.deep and run.size > 10 and run.failure is None


def test_export_verifies_offline(
    app: Flask, runner: FlaskCliRunner, populated: Scenario, tmp_path: Path
) -> None:
    vkey = get_ledger(app).log.vkey  # the auditor pins the log's key, got from us beforehand
    target = tmp_path / "ocop-ledger.jsonl"
    result = runner.invoke(args=["ledger", "export", str(target)])
    assert result.exit_code == 0, result.output
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith('{"type": "ocop-ledger-export/v1"')
    check = subprocess.run(
        [sys.executable, "-m", "ledger", "verify-log", str(target), "--vkey", vkey],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"{len(lines) - 1} entries" in check.stdout
    # One flipped byte in one entry: the offline verifier names it.
    tampered = tmp_path / "tampered.jsonl"
    broken = lines[:]
    broken[5] = broken[5].replace('"entry":"eyJ', '"entry":"eyK')
    tampered.write_text("\n".join(broken) + "\n", encoding="utf-8")
    check = subprocess.run(
        [sys.executable, "-m", "ledger", "verify-log", str(tampered), "--vkey", vkey],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 1
    assert "entry 4" in (check.stdout + check.stderr)
