"""The office in a real Chromium at 360x780, on both engines: the office admin registers a
producer, invites its owner, moves its address (the history shows both), grants an OCOP
certificate, makes an API token, suspends the producer (the token is then refused) and resumes
it. axe-core finds no WCAG 2.1 AA violation on any page shot; nothing comes from another host.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from console.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from sqlalchemy import select
from support.axe import assert_accessible
from test_console import ARTIFACTS, CHROMIUM, VIEWPORT, live

from traceapp.db.sessions import Database
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.models import Producer
from traceapp.producers.services import producer_key
from traceapp.products.services import ProductInput, register_product

__all__ = ["live"]


def _viewer(base: str, token: str) -> int:
    """The HTTP status of a GraphQL request with this bearer token."""
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": "{ viewer { role } }"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_office_admin_onboards_certifies_suspends_and_resumes_in_chromium(
    live: str, request: pytest.FixtureRequest, database: Database, ledger: Ledger
) -> None:
    from playwright.sync_api import Page, sync_playwright

    base = live
    backend = request.node.callspec.params.get("database_template", "db")
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    hosts: set[str] = set()

    def shot(page: Page, name: str) -> None:
        path = ARTIFACTS / f"console-office-{name}-{backend}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5_000
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"], name
        assert_accessible(page, name)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="vi-VN")
            admin = context.new_page()
            admin.on("console", lambda m: problems.append(f"console: {m.text}"))
            admin.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
            admin.goto(f"{base}/console/login")
            admin.fill("#login", ADMIN_EMAIL)
            admin.fill("#password", ADMIN_PASSWORD)
            admin.click("button.primary")
            admin.wait_for_url(f"{base}/console/")

            admin.goto(f"{base}/console/office/")
            shot(admin, "list")
            admin.click("#register")
            admin.select_option("#f-kind", "cooperative")
            admin.fill("#f-name", "Hợp tác xã Sâm Ngọc Linh Trà Linh")
            admin.fill("#f-taxCode", "4000123456")
            admin.fill("#f-province", "Quảng Nam")
            admin.fill("#f-commune", "Xã Trà Linh")
            admin.fill("#f-street", "Thôn 1")
            admin.fill("#f-addressRecordedOn", "2024-05-01")
            shot(admin, "register")
            admin.click("button.primary")
            admin.wait_for_url("**/console/office/producers/pro_*?done=registered")
            page_url = admin.url.split("?")[0]
            assert "Đã đăng ký chủ thể." in admin.inner_text("#done")
            shot(admin, "producer")

            # Found again typed without diacritics.
            admin.goto(f"{base}/console/office/")
            admin.fill("#q-province", "quang nam")
            admin.click("#filter")
            admin.wait_for_url("**province=quang+nam**")
            assert "Hợp tác xã Sâm Ngọc Linh Trà Linh" in admin.inner_text("#producers-list")

            admin.goto(page_url)
            admin.click("#invite")
            link = admin.inner_text("#invitation-link").strip()
            assert "/console/invitation/" in link
            shot(admin, "invitation")

            admin.goto(page_url)
            admin.click("#edit")
            admin.fill("#f-province", "Thành phố Đà Nẵng")
            admin.fill("#f-recordedOn", "2025-07-01")
            shot(admin, "edit")
            admin.click("button.primary")
            admin.wait_for_url("**?done=updated")
            assert "Thành phố Đà Nẵng" in admin.inner_text("#address")
            history = admin.inner_text("#history")
            assert "Cập nhật" in history and "Quảng Nam (2024-05-01)" in history

            # The producer's first product, registered with its own key.
            public_id = urlsplit(page_url).path.rsplit("/", 1)[1]
            with database.write() as s:
                key = producer_key(s, public_id)
                register_product(
                    s,
                    ledger,
                    key,
                    ProductInput(public_id, "8938505974064", "Sâm Ngọc Linh", "herbal"),
                )
            admin.goto(page_url)
            admin.select_option("#g-scheme", "OCOP")
            admin.select_option("#g-stars", "4")
            admin.fill("#g-issuer", "UBND tỉnh Quảng Nam")
            admin.select_option("#g-issuerLevel", "province")
            admin.fill("#g-decisionNumber", "2468/QĐ-UBND")
            admin.fill("#g-issuedOn", "2026-01-05")
            admin.click("#grant-button")
            admin.wait_for_url("**?done=granted")
            certificates = admin.inner_text("#certificates")
            assert "2468/QĐ-UBND" in certificates and "còn hiệu lực" in certificates
            shot(admin, "certified")

            admin.fill("#t-label", "máy quét kho")
            admin.click("#token-create")
            secret = admin.inner_text("#secret").strip()
            assert _viewer(base, secret) == 200
            admin.goto(f"{base}/console/office/tokens")
            assert "máy quét kho" in admin.inner_text("#tokens")
            shot(admin, "tokens")
            admin.goto(page_url)

            admin.fill("#s-reason", "Kiểm tra hồ sơ")
            admin.click("#suspend")
            admin.wait_for_selector("#suspended")
            assert "1 mã API bị thu hồi" in admin.inner_text("#done")
            assert _viewer(base, secret) == 401
            with database.read_sessions() as s:
                row = s.execute(
                    select(Producer).where(Producer.public_id == public_id)
                ).scalar_one()
                assert row.suspended_seq is not None
            shot(admin, "suspended")

            admin.click("#resume")
            admin.wait_for_url("**?done=resumed")
            assert admin.locator("#suspended").count() == 0
            assert "Cho hoạt động lại" in admin.inner_text("#history")
            shot(admin, "resumed")

            # The same page in English.
            admin.click("header button.lang")
            admin.wait_for_load_state()
            assert "History on the ledger" in admin.inner_text("#history")
            shot(admin, "producer-en")
        finally:
            browser.close()
    assert hosts == {urlsplit(base).netloc}
    assert problems == []
