"""The consumer page in a real headless Chromium, against a real HTTP server.

Checks: the page renders in vi and en with no console message (the page has no script, so any
console line is an error: a CSP refusal, a failed load ...), every request it makes goes to our
server and succeeds, and a 412x915 (phone) screenshot is kept in test-artifacts/.
Chromium is Debian's ``chromium`` (CI: ``apt-get install -y chromium``); without it the test
fails when ``CI`` is set and is skipped otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import select
from support.scenario import Scenario
from werkzeug.serving import make_server

from traceapp.batches.models import Item
from traceapp.db.sessions import get_database

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
GTIN = "08938505974019"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=412,915",
    "--hide-scrollbars",
)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    message = "Chromium is not installed (CI: apt-get update && apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class _RequestLog:
    """WSGI middleware recording (path, status) of every request the browser makes."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.requests: list[tuple[str, int]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def recording(status: str, headers: Any, *args: Any) -> Any:
            self.requests.append((environ.get("RAW_URI", environ["PATH_INFO"]), int(status[:3])))
            return start_response(status, headers, *args)

        return self.app(environ, recording)


@pytest.fixture
def server(app: Flask, scenario: Scenario) -> Iterator[tuple[str, _RequestLog]]:
    log = _RequestLog(app.wsgi_app)
    app.wsgi_app = log  # type: ignore[method-assign]
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}", log
    finally:
        http.shutdown()
        thread.join(timeout=10)


@pytest.mark.parametrize(
    "lang, expected",
    [("vi", "Trà Shan tuyết Cổ thụ"), ("en", "Ancient Shan Tuyet tea")],
)
def test_item_page_in_chromium(
    app: Flask,
    server: tuple[str, _RequestLog],
    scenario: Scenario,
    tmp_path: Path,
    lang: str,
    expected: str,
    request: pytest.FixtureRequest,
) -> None:
    browser = chromium()
    base, log = server
    with get_database(app).read_sessions() as session:
        serial = session.execute(
            select(Item.serial).where(Item.public_id == scenario.items[0])
        ).scalar_one()
    url = f"{base}/01/{GTIN}/10/L2026-11A/21/{quote(serial, safe='')}?lang={lang}"
    ARTIFACTS.mkdir(exist_ok=True)
    backend = request.node.callspec.params.get("database_template", "db")
    screenshot = ARTIFACTS / f"verify-page-{lang}-{backend}.png"
    screenshot.unlink(missing_ok=True)

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *extra, url],
            capture_output=True,
            text=True,
            timeout=120,
        )

    shot = run(f"--screenshot={screenshot}")
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.exists() and screenshot.stat().st_size > 10_000
    dom = run("--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f'<html lang="{lang}">' in dom.stdout
    assert expected in dom.stdout
    console = [
        line
        for line in (shot.stderr + dom.stderr).splitlines()
        if ":CONSOLE" in line or "Refused to" in line
    ]
    assert console == []
    paths = [path for path, _ in log.requests]
    assert any(p.startswith(f"/01/{GTIN}/") for p in paths)
    assert any(p.startswith("/static/verify.css") for p in paths)  # styles loaded, from us
    assert all(status in (200, 304) for _, status in log.requests), log.requests


@pytest.mark.parametrize("path", ["/?lang=vi", "/report?lang=en"])
def test_landing_and_report_pages_in_chromium(
    server: tuple[str, _RequestLog], tmp_path: Path, path: str, request: pytest.FixtureRequest
) -> None:
    """The pages around the item page: no script, no console message, styles from us."""
    browser = chromium()
    base, log = server
    ARTIFACTS.mkdir(exist_ok=True)
    backend = request.node.callspec.params.get("database_template", "db")
    name = "landing" if path.startswith("/?") else "report"
    screenshot = ARTIFACTS / f"{name}-page-{backend}.png"
    screenshot.unlink(missing_ok=True)
    shot = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={screenshot}", base + path],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.exists() and screenshot.stat().st_size > 10_000
    assert [line for line in shot.stderr.splitlines() if ":CONSOLE" in line] == []
    assert any(p.startswith("/static/verify.css") for p, _ in log.requests)
    assert all(status in (200, 304) for _, status in log.requests), log.requests
