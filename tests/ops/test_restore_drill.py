"""The restore drill of docs/deployment.md, on PostgreSQL: a logical backup (`pg_dump -Fc`) of a
live ledger, restored with `pg_restore` into a new database, passes `traceapp ledger verify
--deep`, continues the log from the restored head, and is consistent with every checkpoint
served before the backup. A checkpoint served after the backup is not: the drill shows the fork
that losing those entries makes, which is why the guide archives WAL."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy.engine import make_url
from support.grow import append_inspections
from support.scenario import Scenario

from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.errors import ProofError
from ledger.keys import Verifier
from ledger.proof_verification import verify_consistency
from traceapp import create_app
from traceapp.db.sessions import Database, get_database
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.writer import Ledger


def _client_tool(name: str) -> str:
    """The newest installed PostgreSQL's client tool (a dump needs pg_dump >= the server)."""
    installed = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3])
    )
    found = str(installed[-1]) if installed else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (Debian: postgresql-client)")
    return found


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _checkpoint(app: Flask, verifier: Verifier, path: str = "/ledger/checkpoint") -> Checkpoint:
    return open_checkpoint(app.test_client().get(path).text, verifier)


def _verify_deep(app_config: dict[str, Any], database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ} | {
        f"TRACEAPP_{name}": str(value) for name, value in app_config.items() if name != "TESTING"
    }
    env["TRACEAPP_DATABASE_URL"] = database_url
    traceapp = Path(sys.executable).parent / "traceapp"
    return subprocess.run(
        [str(traceapp), "ledger", "verify", "--deep"], env=env, capture_output=True, text=True
    )


def _consistent(app: Flask, old: Checkpoint, new: Checkpoint) -> None:
    proof = app.test_client().get(f"/ledger/proof/consistency?old={old.size}&new={new.size}").json
    assert proof is not None
    hashes = [base64.b64decode(h) for h in proof["proof"]]
    verify_consistency(old.size, new.size, old.root_hash, new.root_hash, hashes)


@pytest.mark.parametrize("database_template", ["postgresql"], indirect=True)
def test_restore_drill(
    app: Flask,
    app_config: dict[str, Any],
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    tmp_path: Path,
) -> None:
    verifier = Verifier.from_vkey(app.test_client().get("/ledger/vkey").text.strip())
    # Checkpoints the live server served before the backup (auditors and witnesses keep them).
    append_inspections(database, ledger, scenario, 5, first=0)
    before = [_checkpoint(app, verifier)]
    append_inspections(database, ledger, scenario, 3, first=10)
    before.append(_checkpoint(app, verifier))

    dump = tmp_path / "ocop.dump"
    dumped = subprocess.run(
        [
            _client_tool("pg_dump"),
            "-Fc",
            "-f",
            str(dump),
            f"--dbname={_libpq(app_config['DATABASE_URL'])}",
        ],
        capture_output=True,
        text=True,
    )
    assert dumped.returncode == 0, dumped.stderr

    # After the backup the server goes on, then is lost with what it wrote since.
    append_inspections(database, ledger, scenario, 2, first=50)
    after = _checkpoint(app, verifier)
    assert after.size == before[-1].size + 2
    database.dispose()

    restored_name = f"traceapp_restored_{secrets.token_hex(6)}"
    restored_url = make_url(app_config["DATABASE_URL"]).set(database=restored_name)
    restored_str = restored_url.render_as_string(hide_password=False)
    admin = _libpq(
        make_url(app_config["DATABASE_URL"])
        .set(database="postgres")
        .render_as_string(hide_password=False)
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{restored_name}" TEMPLATE template0')  # type: ignore[arg-type]
    restored_app: Flask | None = None
    try:
        loaded = subprocess.run(
            [
                _client_tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                f"--dbname={_libpq(restored_str)}",
                str(dump),
            ],
            capture_output=True,
            text=True,
        )
        assert loaded.returncode == 0, loaded.stderr

        verified = _verify_deep(app_config, restored_str)
        assert verified.returncode == 0, verified.stdout + verified.stderr

        restored_app = create_app({**app_config, "DATABASE_URL": restored_str})
        head = _checkpoint(restored_app, verifier)
        assert (head.size, head.root_hash) == (before[-1].size, before[-1].root_hash)

        # The log continues from the restored head: the next entry is at its size.
        append_inspections(
            get_database(restored_app), get_ledger(restored_app), scenario, 4, first=100
        )
        new_head = _checkpoint(restored_app, verifier)
        assert new_head.size == head.size + 4
        entry = restored_app.test_client().get(f"/ledger/entries/{head.size}").json
        assert entry is not None and entry["index"] == head.size

        # No fork against what was served before the backup: each old checkpoint, as the
        # restored server serves it and by consistency proof to the new head.
        for old in before:
            assert _checkpoint(restored_app, verifier, f"/ledger/checkpoint/{old.size}") == old
            _consistent(restored_app, old, new_head)
        # The checkpoint served after the backup is another tree now: a fork, which witnesses
        # and auditors holding it will report (docs/deployment.md: archive WAL to avoid it).
        with pytest.raises(ProofError):
            _consistent(restored_app, after, new_head)

        verified = _verify_deep(app_config, restored_str)
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        if restored_app is not None:
            get_database(restored_app).dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')  # type: ignore[arg-type]
