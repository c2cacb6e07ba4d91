"""The consumer page in a real headless Chromium, against a real HTTP server.

Checks: the page renders in vi and en with no console message (the page has no script, so any
console line is an error: a CSP refusal, a failed load ...), every request it makes goes to our
server and succeeds, and a 412x915 (phone) screenshot is kept in test-artifacts/. Then, through
Playwright at the 360x780 phone viewport, axe-core finds no WCAG 2.1 AA violation on any state of
the item page: genuine (vi, en), a PIN claimed and refused, already claimed, recalled, and the
404 and bad-code pages.
Chromium is Debian's ``chromium`` (CI: ``apt-get install -y chromium``); without it the test
fails when ``CI`` is set and is skipped otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from support.axe import assert_accessible
from support.scenario import Scenario
from werkzeug.serving import make_server

from traceapp.batches.models import Item
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import get_ledger
from traceapp.recalls.services import RecallInput, issue_recall

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


# The innermost elements that stick out past the 360 px viewport's right edge.
WIDER_THAN_PHONE = """[...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > 360.5)
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > 360.5))
  .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + ":"
       + Math.round(e.getBoundingClientRect().right))"""


def test_item_page_states_pass_axe(
    app: Flask, server: tuple[str, _RequestLog], scenario: Scenario, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import Page, sync_playwright

    browser_path = chromium()
    base, _ = server
    backend = request.node.callspec.params.get("database_template", "db")
    ARTIFACTS.mkdir(exist_ok=True)
    with get_database(app).read_sessions() as session:
        serials = dict(
            session.execute(
                select(Item.public_id, Item.serial).where(Item.public_id.in_(scenario.items))
            ).all()
        )
    first, second, third = (serials[i] for i in scenario.items[:3])

    def item(serial: str, lang: str = "vi") -> str:
        return f"{base}/01/{GTIN}/10/L2026-11A/21/{quote(serial, safe='')}?lang={lang}"

    problems: list[str] = []
    hosts: set[str] = set()

    def check(page: Page, name: str, lang: str) -> None:
        assert page.get_attribute("html", "lang") == lang
        page.screenshot(path=str(ARTIFACTS / f"verify-{name}-{backend}.png"), full_page=True)
        wide = page.evaluate(WIDER_THAN_PHONE)
        assert wide == [], f"{name}: wider than the phone: {wide}"  # no sideways scroll
        assert_accessible(page, name)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            page = browser.new_context(
                viewport={"width": 360, "height": 780}, locale="vi-VN"
            ).new_page()
            page.on("console", lambda m: problems.append(m.text))
            page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
            for lang, expected in (("vi", "Trà Shan tuyết Cổ thụ"), ("en", "Ancient Shan Tuyet")):
                page.goto(item(first, lang))
                assert expected in page.inner_text("main")
                check(page, f"genuine-{lang}", lang)
            # A wrong PIN, then the right one, typed into the page's form.
            page.goto(item(second))
            wrong = "00000000" if scenario.pins[second] != "00000000" else "11111111"
            page.fill("#pin", wrong)
            page.click("#claim button")
            assert "Còn 4 lần thử" in page.inner_text("#claim")
            check(page, "claim-wrong-pin", "vi")
            page.fill("#pin", scenario.pins[second])
            page.click("#claim button")
            assert "Sản phẩm đã được xác nhận là của bạn" in page.inner_text("#claim")
            check(page, "claimed", "vi")
            page.goto(item(second, "en"))
            assert "claimed" in page.inner_text("main").lower()  # by this reader: no warning
            check(page, "claimed-by-me-en", "en")
            # An unknown serial walks up to its lot; an unknown product is a 404.
            page.goto(item("NO-SUCH-SERIAL"))
            assert "Trà Shan tuyết Cổ thụ" in page.inner_text("main")
            check(page, "serial-walked-up", "vi")
            for lang in ("vi", "en"):
                missing = page.goto(f"{base}/01/08938505979991/21/x?lang={lang}")
                assert missing is not None and missing.status == 404
                check(page, f"not-found-{lang}", lang)
            bad = page.goto(f"{base}/01/12345/21/x?lang=vi")
            assert bad is not None and bad.status == 400
            check(page, "bad-code", "vi")
            with get_database(app).write() as session:
                issue_recall(
                    session,
                    get_ledger(app),
                    scenario.producer_key,
                    RecallInput([scenario.batch], "Phát hiện nấm mốc", "high", datetime.now(UTC)),
                )
            for lang in ("vi", "en"):
                page.goto(item(third, lang))
                assert page.locator('#warnings [data-code="recalled"]').count() == 1
                check(page, f"recalled-{lang}", lang)
        finally:
            browser.close()
    assert hosts == {urlsplit(base).netloc}  # nothing from another host
    # The only console lines allowed: Chromium reporting the 404 and 400 the test asked for.
    assert [m for m in problems if "404" not in m and "400" not in m] == []


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


def test_landing_and_report_states_pass_axe(
    server: tuple[str, _RequestLog], scenario: Scenario, request: pytest.FixtureRequest
) -> None:
    """axe-core on the landing page (as is and refusing a bad code) and the report form (as
    is, with the server's errors, and thanked), in vi and en at the phone viewport."""
    from playwright.sync_api import Page, sync_playwright

    browser_path = chromium()
    base, _ = server
    backend = request.node.callspec.params.get("database_template", "db")
    ARTIFACTS.mkdir(exist_ok=True)
    lot_uri = f"https://truyxuat.ocop.example.vn/01/{GTIN}/10/L2026-11A"  # as on the label
    problems: list[str] = []

    def check(page: Page, name: str, lang: str) -> None:
        assert page.get_attribute("html", "lang") == lang
        page.screenshot(path=str(ARTIFACTS / f"{name}-{backend}.png"), full_page=True)
        wide = page.evaluate(WIDER_THAN_PHONE)
        assert wide == [], f"{name}: wider than the phone: {wide}"
        assert_accessible(page, name)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            page = browser.new_context(
                viewport={"width": 360, "height": 780}, locale="vi-VN"
            ).new_page()
            page.on("console", lambda m: problems.append(m.text))
            for lang in ("vi", "en"):
                page.goto(f"{base}/?lang={lang}")
                check(page, f"landing-{lang}", lang)
                page.fill("#code", "not a code")
                page.click("#check button")
                assert page.locator("#home-error").count() == 1
                check(page, f"landing-bad-code-{lang}", lang)
                page.goto(f"{base}/report?code={quote(lot_uri, safe='')}&lang={lang}")
                assert "L2026-11A" in page.input_value("#code")
                check(page, f"report-{lang}", lang)
                # The server's own refusal, with the browser's checks switched off.
                page.fill("#code", "")
                page.evaluate("document.querySelector('#report form').noValidate = true")
                page.click("#report button")
                assert page.locator("#report-errors").count() == 1
                check(page, f"report-errors-{lang}", lang)
                page.fill("#code", lot_uri)
                page.check("input[name=reason]>> nth=0")
                page.click("#report button")
                page.wait_for_selector("#thanks")
                check(page, f"report-thanks-{lang}", lang)
        finally:
            browser.close()
    # The only console lines allowed: Chromium reporting the 400s the test asked for.
    assert [m for m in problems if "400" not in m and "422" not in m] == []
