"""The ``traceapp`` console script, run as a user runs it: a real process, a real server."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

TRACEAPP = str(Path(sys.executable).with_name("traceapp"))


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEAPP_")}
    env.update(
        TRACEAPP_DATABASE_URL=f"sqlite:///{tmp_path}/cli.db",
        TRACEAPP_INSTANCE_PATH=str(tmp_path / "instance"),
    )
    env.update(extra)
    return env


def _run(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TRACEAPP, *args], env=_env(tmp_path, **extra), capture_output=True, text=True, timeout=60
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_answers_health_and_readiness(tmp_path: Path) -> None:
    assert _run(tmp_path, "db", "upgrade").returncode == 0
    port = _free_port()
    server = subprocess.Popen(
        [TRACEAPP, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert (status, body) == (200, {"status": "ok"})
        status, body = _get(f"http://127.0.0.1:{port}/readyz")
        assert status == 200 and body["status"] == "ok"
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "Booting worker" in output
    assert "warning: log key" in output and "traceapp keys init" in output  # no keys init yet
    assert server.returncode == 0, output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"TRACEAPP_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, "cannot reach"),
        ({"TRACEAPP_DATABASE_URL": "::::"}, "not a database URL"),
        ({"TRACEAPP_PUBLIC_URL": "nope"}, "PUBLIC_URL"),
        ({"TRACEAPP_ENV": "production"}, "missing required settings"),
    ],
)
def test_bad_configuration_is_one_clear_line(
    tmp_path: Path, extra: dict[str, str], message: str
) -> None:
    result = _run(tmp_path, "db", "upgrade", **extra)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_an_unwritable_key_path_is_one_clear_line(tmp_path: Path) -> None:
    assert _run(tmp_path, "db", "upgrade").returncode == 0
    result = _run(tmp_path, "keys", "init", TRACEAPP_LOG_KEY_FILE="/proc/ocop/log.key")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if "cannot create log key" in line
    ]


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    assert _run(tmp_path, "serve", "--bind", "nonsense").returncode == 2
    assert _run(tmp_path, "no-such-command").returncode == 2


def test_each_command_prints_its_own_help(tmp_path: Path) -> None:
    result = _run(tmp_path, "tokens", "create", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: traceapp tokens create [OPTIONS]")
    assert "--role [admin|producer|auditor]" in result.stdout


def test_help_cites_only_documents_in_the_repository(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    result = _run(tmp_path, "ledger", "export", "--help")
    assert result.returncode == 0, result.stderr
    assert "DESIGN" not in result.stdout
    cited = re.findall(r"docs/[\w.-]+\.md", result.stdout)
    assert cited and all((root / path).is_file() for path in cited), cited
