"""The axe-core helper itself (tests/support/axe.py), in Debian's Chromium: under a CSP as strict
as our pages' it still runs (no refusal logged), finds the WCAG faults of a faulty page, reports
them readably, and passes the same page once fixed. No database: the pages are served by
Playwright's request routing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support.axe import assert_accessible, axe_violations

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "/usr/bin/chromium"
CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'"
FAULTY = """<!doctype html><html><head><title>t</title>
<link rel="stylesheet" href="/s.css"></head><body><main>
<h1>Trà</h1><p class="pale">nhạt</p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<form><input id="pin"></form><a href="/x"></a></main></body></html>"""
FIXED = """<!doctype html><html lang="vi"><head><title>t</title>
<link rel="stylesheet" href="/s.css"></head><body><main>
<h1>Trà</h1><p>nhạt</p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="">
<form><label for="pin">PIN</label><input id="pin"></form><a href="/x">Xem</a></main></body></html>"""


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed (CI: apt-get install -y chromium)")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def test_axe_finds_reports_and_clears_wcag_faults(browser: Browser) -> None:
    from playwright.sync_api import Route

    page = browser.new_page(viewport={"width": 360, "height": 780})
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    body = {"/": FAULTY}

    def serve(route: Route) -> None:
        path = "/" + route.request.url.split("/", 3)[3]
        if path == "/s.css":
            route.fulfill(body=".pale { color: #bbb; background: #fff }", content_type="text/css")
        else:
            route.fulfill(
                body=body["/"], content_type="text/html", headers={"Content-Security-Policy": CSP}
            )

    page.route("http://page.test/**", serve)
    page.goto("http://page.test/")
    found = {v["id"]: v for v in axe_violations(page)}
    assert {"html-has-lang", "color-contrast", "image-alt", "label", "link-name"} <= set(found)
    assert found["color-contrast"]["nodes"][0]["target"] == ["p"]
    assert found["image-alt"]["impact"] == "critical"
    with pytest.raises(pytest.fail.Exception) as failed:
        assert_accessible(page, "faulty page")
    report = str(failed.value)
    assert "WCAG 2.1 AA violations on faulty page (http://page.test/)" in report
    assert "- image-alt (critical): Images must have alternative text" in report
    assert (
        "/rules/axe/4.14/image-alt" in report
        and "    p: Fix any of the following: Element has insufficient color contrast" in report
    )

    body["/"] = FIXED
    page.goto("http://page.test/")
    assert_accessible(page, "fixed page")
    assert console == []  # axe ran without the page's CSP refusing anything
