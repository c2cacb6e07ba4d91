"""A phone screenshot of every state of the shopper's item page, in vi and en (issue 15).

Through Playwright and Debian's Chromium at the 360x780 phone viewport, each state is opened
as a shopper would open it and its headline verdict (the page's first ``h1``) is asserted
before the full-page PNG is kept in test-artifacts/ as ``verify-state-<state>-<lang>-<engine>``:
genuine, suspected copy, certificate expired, recalled, 404 (unknown code), 429 (rate-limited,
with ``Retry-After``) and the processed product (its inputs one step back). And a report of a
suspected fake sent with a photo from the phone, with JavaScript off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from support.images import photo
from support.scenario import Scenario
from support.story import processed_link
from test_page import ARTIFACTS, WIDER_THAN_PHONE, chromium
from werkzeug.serving import make_server

from traceapp.batches.models import Item
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import get_ledger
from traceapp.recalls.services import RecallInput, issue_recall
from traceapp.reports.services import list_reports
from traceapp.verification.ratelimit import Limit
from traceapp.verification.texts import text
from traceapp.web import resolver

if TYPE_CHECKING:
    from playwright.sync_api import Page

GTIN = "08938505974019"
LOT = "L2026-11A"
LANGS = ("vi", "en")


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


@pytest.fixture
def fixed_day(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """The pages are rendered as on ``day`` (the certificate's and expiry states)."""

    def set_day(day: date) -> None:
        now = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)
        monkeypatch.setattr(resolver, "now_and_today", lambda: (now, day))

    return set_day


def phone(run: Callable[[Page], None]) -> list[str]:
    """Run ``run`` on a 360x780 Chromium page; the console lines it logged."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_context(
                viewport={"width": 360, "height": 780}, locale="vi-VN"
            ).new_page()
            page.on("console", lambda m: problems.append(m.text))
            run(page)
        finally:
            browser.close()
    return problems


def shot(page: Page, state: str, lang: str, headline: str, backend: str) -> None:
    """Assert the page's language and headline verdict, then keep its phone screenshot."""
    assert page.get_attribute("html", "lang") == lang
    assert page.inner_text("main h1").strip() == headline, state
    assert page.evaluate(WIDER_THAN_PHONE) == [], state  # no sideways scroll
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"verify-state-{state}-{lang}-{backend}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_item_page_states_on_a_phone(
    app: Flask,
    base: str,
    scenario: Scenario,
    fixed_day: Callable[[date], None],
    request: pytest.FixtureRequest,
) -> None:
    backend = request.node.callspec.params.get("database_template", "db")
    with get_database(app).read_sessions() as session:
        serials = dict(
            session.execute(
                select(Item.public_id, Item.serial).where(Item.public_id.in_(scenario.items))
            ).all()
        )
    genuine, copied, aging = (serials[i] for i in scenario.items[:3])

    def item(serial: str, lang: str) -> str:
        return f"{base}/01/{GTIN}/10/{LOT}/21/{quote(serial, safe='')}?lang={lang}"

    def run(page: Page) -> None:
        for lang in LANGS:
            assert page.goto(item(genuine, lang)).ok  # type: ignore[union-attr]
            shot(page, "genuine", lang, text(lang, "v_genuine"), backend)
        # Checks from six networks within seconds: many checks and a burst.
        scans = app.test_client()
        for net in range(6):
            for _ in range(4):
                scans.get(item(copied, "vi"), environ_base={"REMOTE_ADDR": f"203.0.{net}.9"})
        for lang in LANGS:
            page.goto(item(copied, lang))
            shot(page, "suspected-copy", lang, text(lang, "v_copy"), backend)
        for lang in LANGS:
            missing = page.goto(f"{base}/01/08938505979991/21/x?lang={lang}")
            assert missing is not None and missing.status == 404
            assert page.locator("main a.button", has_text=text(lang, "report_link")).count() == 1
            shot(page, "404", lang, text(lang, "not_found"), backend)
        fixed_day(date(2028, 4, 1))  # the scenario's certificate ended on 15/03/2028
        for lang in LANGS:
            page.goto(item(aging, lang))
            shot(page, "certificate-expired", lang, text(lang, "v_ocop_expired"), backend)
        with get_database(app).write() as session:
            issue_recall(
                session,
                get_ledger(app),
                scenario.producer_key,
                RecallInput([scenario.batch], "Phát hiện nấm mốc", "high", datetime.now(UTC)),
            )
        for lang in LANGS:
            page.goto(item(aging, lang))
            assert page.locator('#warnings [data-code="recalled"]').count() == 1
            shot(page, "recalled", lang, text(lang, "v_recalled"), backend)
        app.config["RATE_LIMITS"] = {"page": Limit(0, 60.0)}
        for lang in LANGS:
            limited = page.goto(item(genuine, lang))
            assert limited is not None and limited.status == 429
            assert int(limited.headers["retry-after"]) > 0
            shot(page, "429", lang, text(lang, "too_many"), backend)

    problems = phone(run)
    # Chromium reports the 404 and 429 the test asked for; nothing else may be logged.
    assert [m for m in problems if "404" not in m and "429" not in m] == []


def test_processed_product_state_on_a_phone(
    app: Flask,
    runner: FlaskCliRunner,
    base: str,
    fixed_day: Callable[[date], None],
    request: pytest.FixtureRequest,
) -> None:
    backend = request.node.callspec.params.get("database_template", "db")
    link = processed_link(app, runner)
    fixed_day(date(2026, 11, 28))  # the demo's days

    def run(page: Page) -> None:
        for lang in LANGS:
            page.goto(f"{base}{link.path}?lang={lang}")
            # One step back: the input batch's origin and journey under the product's.
            assert page.locator("#upstream").count() == 1
            assert "Củ đảng sâm tươi (nguyên liệu)" in page.inner_text("#upstream")
            shot(page, "processed", lang, text(lang, "v_genuine"), backend)

    assert phone(run) == []


def test_a_report_with_a_photo_from_a_phone_without_javascript(
    app: Flask, base: str, scenario: Scenario, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The report form sends its photo as a plain multipart form: no script is needed."""
    from playwright.sync_api import sync_playwright

    backend = request.node.callspec.params.get("database_template", "db")
    picture = tmp_path / "IMG_0042.jpg"
    picture.write_bytes(photo((1200, 900), "JPEG", gps=True))
    code = f"https://truyxuat.ocop.example.vn/01/{GTIN}/10/{LOT}/21/FAKE-1"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_context(
                viewport={"width": 360, "height": 780}, java_script_enabled=False
            ).new_page()
            for lang in LANGS:
                page.goto(f"{base}/report?code={quote(code, safe='')}&lang={lang}")
                page.check('input[name="reason"][value="label"]')
                page.set_input_files("#photo", str(picture))
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(
                    path=str(ARTIFACTS / f"report-photo-{lang}-{backend}.png"), full_page=True
                )
                page.click("#report button[type=submit]")
                assert page.inner_text("main h1").strip() == text(lang, "report_thanks")
        finally:
            browser.close()
    with get_database(app).read_sessions() as session:
        reports = list_reports(session)
    assert len(reports) == 2 and all(r.photo is not None for r in reports)
    assert reports[0].photo is not None and reports[0].photo.width == 1080
