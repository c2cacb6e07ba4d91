"""A batch's work in a real Chromium at 360x780 on both engines: the owner issues 20 stamps
with PINs and downloads the PDF (decoded: 20 QR codes, 20 PINs matching the issued items), then
records a shipping event for two of them by their printed codes. Screenshots in
test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser.test_console import ARTIFACTS, CHROMIUM, VIEWPORT, live  # noqa: F401
from console.conftest import OWNER_PASSWORD
from console.test_batch_work import check_stamps
from sqlalchemy import select
from support.scenario import Scenario

from traceapp.accounts.models import PRODUCER_OWNER
from traceapp.accounts.services import PersonInput, create_account
from traceapp.batches.models import Item
from traceapp.db.sessions import Database
from traceapp.events.models import Event, EventEpc
from traceapp.ledger_store.writer import Ledger


def test_issue_stamps_and_ship_two_by_code_in_chromium(
    live: str,  # noqa: F811
    database: Database,
    ledger: Ledger,
    scenario: Scenario,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import Page, sync_playwright

    base = live
    backend = request.node.callspec.params.get("database_template", "db")
    ARTIFACTS.mkdir(exist_ok=True)
    with database.write() as s:
        create_account(
            s,
            PRODUCER_OWNER,
            scenario.producer,
            PersonInput("Nguyễn Văn Hùng", "hung@example.vn", None, OWNER_PASSWORD),
        )

    def shot(page: Page, name: str) -> None:
        path = ARTIFACTS / f"console-batch-{name}-{backend}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5_000
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]

    hosts: set[str] = set()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", accept_downloads=True)
            page = context.new_page()
            page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
            page.goto(f"{base}/console/login")
            page.fill("#login", "hung@example.vn")
            page.fill("#password", OWNER_PASSWORD)
            page.click("button.primary")
            page.wait_for_url(f"{base}/console/")

            page.goto(f"{base}/console/batches/{scenario.batch}/items/new")
            page.fill("#count", "20")
            assert page.is_checked("input[name=pins]")
            shot(page, "issue")
            with page.expect_download() as download:
                page.click("#issue")
            saved = tmp_path / "tem.pdf"
            download.value.save_as(saved)
            serials = check_stamps(saved.read_bytes(), database, ledger, 20, claim=False)

            page.goto(f"{base}/console/batches/{scenario.batch}/events/new")
            page.select_option("#step", "ship")
            page.select_option("#place", label="Đồi chè Na Pá")
            page.check("#scope-items")
            page.fill("#codes", f"{serials[0]}\n{serials[1]}\n")
            shot(page, "event")
            page.click("#record")
            page.wait_for_url(f"{base}/console/batches/{scenario.batch}/events?done=event")
            assert "Đã ghi sự kiện" in page.inner_text("#done")
            assert "Vận chuyển" in page.inner_text("#events")
            shot(page, "log")
        finally:
            browser.close()
    assert hosts == {base.split("/")[2]}
    with database.read_sessions() as s:
        last = s.execute(select(Event).order_by(Event.ledger_seq.desc()).limit(1)).scalar_one()
        named = set(
            s.execute(
                select(Item.serial)
                .join(EventEpc, EventEpc.item_id == Item.id)
                .where(EventEpc.event_seq == last.ledger_seq)
            ).scalars()
        )
    assert last.biz_step is not None and last.biz_step.endswith("shipping")
    assert named == {serials[0], serials[1]}
