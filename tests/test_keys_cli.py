"""`traceapp keys init` and `traceapp tokens create`, run as a user runs them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from ledger.keys import Verifier

TRACEAPP = str(Path(sys.executable).with_name("traceapp"))


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEAPP_")}
    env.update(
        TRACEAPP_DATABASE_URL=f"sqlite:///{tmp_path}/keys.db",
        TRACEAPP_INSTANCE_PATH=str(tmp_path / "instance"),
        TRACEAPP_LOG_ORIGIN="truyxuat.example.vn/ledger",
    )
    return subprocess.run([TRACEAPP, *args], env=env, capture_output=True, text=True, timeout=120)


def test_keys_init_writes_a_private_key_and_the_genesis(tmp_path: Path) -> None:
    assert _run(tmp_path, "keys", "init").returncode == 1  # schema not there yet: one line
    assert _run(tmp_path, "db", "upgrade").returncode == 0
    result = _run(tmp_path, "keys", "init")
    assert result.returncode == 0, result.stderr
    key = tmp_path / "instance" / "log.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("PRIVATE+KEY+truyxuat.example.vn/ledger+")
    vkey = next(line.split()[-1] for line in result.stdout.splitlines() if "log vkey" in line)
    assert "PRIVATE" not in result.stdout.replace(vkey, "")

    again = _run(tmp_path, "keys", "init")
    assert again.returncode == 1 and "refusing to overwrite" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    assert _run(tmp_path, "keys", "init", "--existing-log-key").returncode == 1  # has a genesis

    verify = _run(tmp_path, "ledger", "verify", "--deep")
    assert verify.returncode == 0, verify.stderr
    assert "OK: 2 entries" in verify.stdout
    export = tmp_path / "export.jsonl"
    assert _run(tmp_path, "ledger", "export", str(export)).returncode == 0
    header = export.read_text().splitlines()[0]
    assert vkey in header
    Verifier.from_vkey(vkey)


def test_tokens_are_shown_once_and_stored_hashed(tmp_path: Path) -> None:
    assert _run(tmp_path, "db", "upgrade").returncode == 0
    assert _run(tmp_path, "keys", "init").returncode == 0
    result = _run(tmp_path, "tokens", "create", "--role", "auditor", "--label", "Sở KH&CN")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("ocop_") and len(token) > 40
    assert token.encode() not in (tmp_path / "keys.db").read_bytes()
    bad = _run(tmp_path, "tokens", "create", "--role", "producer")
    assert bad.returncode == 2 and "producer" in bad.stderr
    assert _run(tmp_path, "tokens", "create", "--role", "root").returncode == 2


def test_verify_fails_with_one_line_when_a_checkpoint_is_forged(tmp_path: Path) -> None:
    import sqlite3

    assert _run(tmp_path, "db", "upgrade").returncode == 0
    assert _run(tmp_path, "keys", "init").returncode == 0
    conn = sqlite3.connect(tmp_path / "keys.db")
    conn.execute("DROP TRIGGER ledger_checkpoints_no_update")
    note = conn.execute("SELECT note FROM ledger_checkpoints WHERE size = 2").fetchone()[0]
    conn.execute(
        "UPDATE ledger_checkpoints SET note = ? WHERE size = 2", (note.replace("\n2\n", "\n3\n"),)
    )
    conn.commit()
    conn.close()
    result = _run(tmp_path, "ledger", "verify")
    assert result.returncode == 1
    failure = [line for line in result.stderr.splitlines() if line.startswith("FAILED")]
    assert len(failure) == 1 and "ledger_checkpoints size 2" in failure[0]
