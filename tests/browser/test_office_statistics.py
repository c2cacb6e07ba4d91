"""The office's statistics in a real Chromium at 360x780, on both engines: the admin filters
by a former province typed without diacritics, reads the SVG charts, opens the certificates
ending within 30 days and downloads a CSV. axe-core finds no WCAG 2.1 AA violation on any page
shot; no script runs and nothing comes from another host. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from console.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from office_stats.conftest import Country, country
from support.axe import assert_accessible
from test_console import ARTIFACTS, CHROMIUM, VIEWPORT, live

__all__ = ["country", "live"]


def test_office_statistics_in_chromium(
    live: str, country: Country, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import Page, sync_playwright

    base = live
    backend = request.node.callspec.params.get("database_template", "db")
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    hosts: set[str] = set()

    def shot(page: Page, name: str) -> None:
        path = ARTIFACTS / f"office-stats-{name}-{backend}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5_000
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
        assert_accessible(page, name)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", accept_downloads=True)
            page = context.new_page()
            page.on("console", lambda m: problems.append(f"console: {m.text}"))
            page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
            page.goto(f"{base}/console/login")
            page.fill("#login", ADMIN_EMAIL)
            page.fill("#password", ADMIN_PASSWORD)
            page.click("button.primary")
            page.wait_for_url(f"{base}/console/")
            page.click("nav >> text=Thống kê")
            page.wait_for_url(f"{base}/console/office/statistics")
            assert page.inner_text("#total-producers") == "3"
            assert page.locator("svg.chart").count() >= 8
            assert page.locator("script").count() == 0
            shot(page, "national")

            page.click("summary >> text=Lọc")
            page.fill("#province", "quang nam")
            page.click("button.primary")
            page.wait_for_url("**/console/office/statistics?province=quang+nam*")
            assert page.inner_text("h1").endswith("Đà Nẵng")
            assert page.inner_text("#total-producers") == "1"
            assert "Xã Đại Hiệp" in page.inner_text("#producers_by_commune")
            shot(page, "province")

            page.click("#ending-30")
            assert "77/QĐ-UBND" in page.inner_text("#ending-list")
            shot(page, "ending")
            with page.expect_download() as download:
                page.click("text=CSV")
            data = download.value.path().read_bytes()
            assert data.startswith("\ufeff".encode()) and "77/QĐ-UBND".encode() in data
        finally:
            browser.close()
    assert not problems, problems
    assert hosts == {urlsplit(base).netloc}
