"""A real `traceapp serve` (gunicorn) on a free local port, for tests that go over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A port nothing listens on (closed again at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


@contextmanager
def serving(app_config: dict[str, Any], log: Path, workers: int = 2, **env: str) -> Iterator[str]:
    """`traceapp serve --workers N` with the test's settings (TRACEAPP_* variables); its URL."""
    variables = {**os.environ} | {
        f"TRACEAPP_{name}": str(value) for name, value in app_config.items() if name != "TESTING"
    }
    variables.pop("TRACEAPP_RATELIMIT_STORAGE_URL", None)
    variables.update({f"TRACEAPP_{name}": value for name, value in env.items()})
    port = free_port()
    traceapp = Path(sys.executable).parent / "traceapp"
    command = [str(traceapp), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=variables, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if get_status(f"{base}/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"traceapp serve did not start:\n{log.read_text()}")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
