"""Files that hold secrets are private: the SQLite database with its -wal and -shm, the log key
(issue 14, item 12)."""

from __future__ import annotations

import logging
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from traceapp import create_app
from traceapp.config import ConfigError, load_settings
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import build_ledger

KEK = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 bytes


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual 022: files anyone may read unless the app says otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_a_new_sqlite_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "traceapp.db"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}"})
    database = get_database(app)
    try:
        with database.engine.begin() as conn:  # WAL mode: -wal and -shm appear on a write
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            created = [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]
            assert all(file.exists() for file in created)
            assert {stat.S_IMODE(file.stat().st_mode) for file in created} == {0o600}
    finally:
        database.dispose()


def _settings(key: Path, **extra: Any) -> Any:
    return load_settings(
        environ={},
        overrides={"LOG_KEY_FILE": str(key), "LOG_ORIGIN": "truyxuat.example.vn/ledger", **extra},
        instance_path=key.parent,
    )


@pytest.fixture
def readable_key(tmp_path: Path, log_key_file: Path) -> Path:
    key = tmp_path / "log.key"
    shutil.copyfile(log_key_file, key)
    key.chmod(0o644)
    return key


def test_production_refuses_a_log_key_others_can_read(readable_key: Path) -> None:
    settings = _settings(
        readable_key,
        ENV="production",
        DATABASE_URL="postgresql://db/ocop",
        PUBLIC_URL="https://truyxuat.example.vn",
        KEY_ENCRYPTION_KEY=KEK,
    )
    with pytest.raises(ConfigError, match=r"accessible by others \(mode 0644\): run `chmod 600"):
        build_ledger(settings)


def test_development_warns_of_a_log_key_others_can_read(
    readable_key: Path, log_key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    origin = log_key_file.read_text().split("+")[2]
    with caplog.at_level(logging.WARNING):
        ledger = build_ledger(_settings(readable_key, LOG_ORIGIN=origin))
    assert ledger.origin == origin
    assert f"log key {readable_key} is accessible by others (mode 0644)" in caplog.text
    caplog.clear()
    readable_key.chmod(0o600)
    with caplog.at_level(logging.WARNING):
        build_ledger(_settings(readable_key, LOG_ORIGIN=origin))
    assert not caplog.text
