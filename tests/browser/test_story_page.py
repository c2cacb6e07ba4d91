"""The processed product's page in Chromium: our own script loads under the CSP (no console
line), adds the copy-link button, and the page is whole without it. Through Playwright at the
360x780 phone viewport, axe-core finds no WCAG 2.1 AA violation, in vi and en, with the button."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from support.axe import assert_accessible
from support.story import processed_link
from test_page import ARTIFACTS, CHROMIUM_FLAGS, WIDER_THAN_PHONE, chromium
from werkzeug.serving import make_server


@pytest.fixture
def base(app: Flask) -> Iterator[str]:
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=10)


def test_processed_product_page_in_chromium(
    app: Flask,
    runner: FlaskCliRunner,
    base: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    browser = chromium()
    link = processed_link(app, runner)
    url = f"{base}{link.path}?lang=vi"
    ARTIFACTS.mkdir(exist_ok=True)
    backend = request.node.callspec.params.get("database_template", "db")
    screenshot = ARTIFACTS / f"verify-processed-vi-{backend}.png"
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
    dom = run("--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'id="upstream"' in dom.stdout and "Củ đảng sâm tươi (nguyên liệu)" in dom.stdout
    assert '<button type="button" class="copy">Sao chép đường dẫn</button>' in dom.stdout
    console = [
        line
        for line in (shot.stderr + dom.stderr).splitlines()
        if ":CONSOLE" in line or "Refused to" in line
    ]
    assert console == []
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=browser, args=["--no-sandbox"])
        try:
            page = launched.new_context(
                viewport={"width": 360, "height": 780}, locale="vi-VN"
            ).new_page()
            page.on("console", lambda m: problems.append(m.text))
            for lang in ("vi", "en"):
                page.goto(f"{base}{link.path}?lang={lang}")
                page.wait_for_selector("button.copy")  # the script has run
                assert page.evaluate(WIDER_THAN_PHONE) == []
                assert_accessible(page, f"processed product page ({lang})")
        finally:
            launched.close()
    assert problems == []
