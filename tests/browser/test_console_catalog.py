"""The catalogue in a real Chromium at 360x780, on both engines: an owner creates a product
(typing 12 digits of its GTIN and letting the page complete it), uploads its photo, registers a
place with the phone's position (a granted fake geolocation), renames it, and creates a batch.
axe-core finds no WCAG 2.1 AA violation on any page shot. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from console.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, OWNER_PASSWORD
from PIL import Image
from test_console import ARTIFACTS, CHROMIUM, VIEWPORT, live, phone_shot

__all__ = ["live"]


def test_owner_builds_the_catalogue_in_chromium(
    live: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, sync_playwright

    base = live
    backend = request.node.callspec.params.get("database_template", "db")
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    hosts: set[str] = set()
    picture = tmp_path / "mat-ong.jpg"
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 150, 40)).save(out, format="JPEG")
    picture.write_bytes(out.getvalue())

    def shot(page: Page, name: str) -> None:
        phone_shot(page, f"console-catalog-{name}-{backend}", name)

    def sign_in(page: Page, login: str, password: str) -> None:
        page.goto(f"{base}/console/login")
        page.fill("#login", login)
        page.fill("#password", password)
        page.click("button.primary")
        page.wait_for_url(f"{base}/console/")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:

            def person(**options: object) -> Page:
                context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", **options)
                page = context.new_page()
                page.on("console", lambda m: problems.append(f"console: {m.text}"))
                page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
                return page

            admin = person()
            sign_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
            admin.goto(f"{base}/console/office/")
            admin.select_option("#producer", label="Hộ kinh doanh Mật ong Bạc Hà")
            admin.click("button.primary")
            link = urlsplit(admin.inner_text("#invitation-link").strip()).path

            # The phone lets the console read its position (a fake one, in Tuyên Quang).
            owner = person(
                geolocation={"latitude": 23.2631, "longitude": 105.2442, "accuracy": 12},
                permissions=["geolocation"],
            )
            owner.goto(base + link)
            owner.fill("#name", "Giàng Thị Mỷ")
            owner.fill("#email", "my@example.vn")
            owner.fill("#password", OWNER_PASSWORD)
            owner.click("button.primary")
            owner.wait_for_url(f"{base}/console/")

            owner.click("nav >> text=Sản phẩm")
            owner.click("text=Thêm sản phẩm")
            owner.fill("#f-gtin", "893850000002")
            owner.fill("#f-nameVi", "Mật ong hoa bạc hà")
            owner.select_option("#f-group", "food")
            owner.click("button[value=check]")
            assert "GTIN-13 đầy đủ: 8938500000027" in owner.inner_text("#gtin-result")
            assert owner.input_value("#f-nameVi") == "Mật ong hoa bạc hà"
            shot(owner, "gtin")
            owner.click("button[value=save]")
            owner.wait_for_url(f"{base}/console/products/prd_*")
            owner.set_input_files("#f-photo", str(picture))
            owner.click("text=Tải ảnh lên")
            owner.wait_for_load_state()
            assert owner.locator("img.photo").evaluate("img => img.naturalWidth") > 100
            shot(owner, "product")

            owner.click("nav >> text=Địa điểm")
            owner.click("text=Thêm địa điểm")
            owner.fill("#f-name", "Vườn ong Sủng Là")
            owner.select_option("#f-kind", "farm")
            owner.fill("#f-code", "VUON-1")
            owner.fill("#f-province", "Tuyên Quang")
            owner.click("#geo-fill")
            owner.wait_for_function("document.getElementById('f-latitude').value !== ''")
            assert owner.input_value("#f-latitude") == "23.263100"
            assert owner.input_value("#f-longitude") == "105.244200"
            assert "sai số khoảng 12 m" in owner.inner_text("#geo-status")
            shot(owner, "place-form")
            owner.click("button.primary")
            owner.wait_for_url(f"{base}/console/places")
            assert "Vườn ong Sủng Là" in owner.inner_text("#places-list")
            assert "23.263100, 105.244200" in owner.inner_text("#places-list")
            shot(owner, "places")
            # The place renamed: its edit page keeps the code, the list shows the new name.
            owner.click("#places-list >> text=Sửa địa điểm")
            assert owner.input_value("#f-name") == "Vườn ong Sủng Là"
            assert "VUON-1" in owner.inner_text("#place-ids")
            owner.fill("#f-name", "Vườn ong bạc hà Sủng Là")
            owner.fill("#f-street", "Thôn Sủng Là")
            shot(owner, "place-edit")
            owner.click("button.primary")
            owner.wait_for_url(f"{base}/console/places")
            assert "Vườn ong bạc hà Sủng Là" in owner.inner_text("#places-list")

            owner.click("nav >> text=Lô hàng")
            owner.click("text=Tạo lô hàng")
            owner.fill("#f-lot", "MO-2026-01")
            owner.fill("#f-quantity", "40")
            owner.fill("#f-unit", "kg")
            owner.fill("#f-productionDate", "2026-11-20")
            owner.fill("#f-expiryDate", "2028-11-20")
            owner.select_option("#f-originLocation", label="Vườn ong bạc hà Sủng Là (VUON-1)")
            shot(owner, "batch-form")
            owner.click("button.primary")
            owner.wait_for_url(f"{base}/console/batches/bat_*")
            text = owner.inner_text("main")
            assert "MO-2026-01" in text and "Vườn ong bạc hà Sủng Là" in text
            shot(owner, "batch")
            owner.click("nav >> text=Lô hàng")
            assert "MO-2026-01" in owner.inner_text("#batches-list")
            shot(owner, "batches")
        finally:
            browser.close()
    assert hosts == {urlsplit(base).netloc}
    assert problems == []
