"""The producer's whole day in a real Chromium at 360x780, on both engines, against a real server
(issue 16): the office invites an owner, who signs up, adds a product with a photo, a place and a
batch, issues 20 stamps with PINs and gets the PDF (decoded: 20 QR codes, 20 PINs). A second
phone, whose camera is Chromium's fake device fed a video of two printed stamps cut from that
PDF, scans them and records their shipping; then it loses the connection, opens the
record-event page from its service worker, records a sale (and an event naming a code on no
stamp) that wait in IndexedDB, and when the connection returns sees the sale sent, landed exactly
once on the ledger (and still once after a send whose answer was "lost"), and the other refused
with the server's reason. axe-core finds no WCAG 2.1 AA violation on any page shot; the
screenshots go to test-artifacts/.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pytest
import zxingcpp
from console.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, OWNER_PASSWORD
from console.test_batch_work import check_stamps
from PIL import Image
from sqlalchemy import func, select
from support.scenario import Scenario
from test_console import ARTIFACTS, CHROMIUM, VIEWPORT, live, phone_shot

from traceapp.accounts.models import PRODUCER_OWNER
from traceapp.accounts.services import PersonInput, create_account
from traceapp.batches.models import Item
from traceapp.db.sessions import Database
from traceapp.events.models import Event, EventEpc
from traceapp.gs1.digital_link import parse_path
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.writer import Ledger

__all__ = ["live"]

FRAME = (480, 360)  # even sides: I420 halves them
FPS = 10


def stamp_pictures(pdf: bytes, count: int) -> list[tuple[str, Image.Image]]:
    """``count`` stamps of the PDF's first page as a phone would see them: each QR code cut
    out of the rendered page with its quiet zone and some of the label around it."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0].render(scale=150 / 72).to_pil().convert("L")
    finally:
        document.close()
    found = sorted(zxingcpp.read_barcodes(page), key=lambda r: r.text)[:count]
    assert len(found) == count
    out = []
    for result in found:
        p = result.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
        margin = (max(xs) - min(xs)) // 3
        box = (min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin)
        out.append((result.text, page.crop(box)))
    return out


def write_y4m(path: Path, pictures: list[Image.Image]) -> None:
    """A Y4M video (the format Chromium's fake camera reads): each picture held for a second,
    centred on white, as raw I420 frames of grey (Y from the picture, U and V neutral)."""
    width, height = FRAME
    chroma = bytes([128]) * (width // 2 * height // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for picture in pictures:
            side = height - 40
            frame = Image.new("L", FRAME, 255)
            frame.paste(picture.resize((side, side)), ((width - side) // 2, 20))
            for _ in range(FPS):
                out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


def events_of(database: Database, serial: str, biz_step: str) -> int:
    with database.read_sessions() as s:
        return int(
            s.execute(
                select(func.count(func.distinct(Event.ledger_seq)))
                .join(EventEpc, EventEpc.event_seq == Event.ledger_seq)
                .join(Item, Item.id == EventEpc.item_id)
                .where(Item.serial == serial, Event.biz_step.like(f"%{biz_step}"))
            ).scalar_one()
        )


def statements(database: Database, kind: str) -> int:
    with database.read_sessions() as s:
        return int(
            s.execute(
                select(func.count()).select_from(LedgerEntry).where(LedgerEntry.type == kind)
            ).scalar_one()
        )


def test_a_producers_day_offline_and_back_in_chromium(
    live: str,
    database: Database,
    ledger: Ledger,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import Browser, Page, sync_playwright

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
        phone_shot(page, f"console-flow-{name}-{backend}", name)

    def person(browser: Browser, **options: object) -> Page:
        context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", **options)
        page = context.new_page()
        page.on(
            "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
        )
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
        return page

    def sign_in(page: Page, login: str, password: str) -> None:
        page.goto(f"{base}/console/login")
        page.fill("#login", login)
        page.fill("#password", password)
        page.click("button.primary")
        page.wait_for_url(f"{base}/console/")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            admin = person(browser)
            sign_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
            admin.goto(f"{base}/console/office/")
            admin.select_option("#producer", label="Hộ kinh doanh Mật ong Bạc Hà")
            admin.click("button.primary")
            link = urlsplit(admin.inner_text("#invitation-link").strip()).path

            owner = person(browser, accept_downloads=True)
            owner.goto(base + link)
            owner.fill("#name", "Giàng Thị Mỷ")
            owner.fill("#email", "my@example.vn")
            owner.fill("#password", OWNER_PASSWORD)
            shot(owner, "accept")
            owner.click("button.primary")
            owner.wait_for_url(f"{base}/console/")
            shot(owner, "dashboard")

            owner.click("nav >> text=Sản phẩm")
            owner.click("text=Thêm sản phẩm")
            owner.fill("#f-gtin", "8938500000027")
            owner.fill("#f-nameVi", "Mật ong hoa bạc hà")
            owner.select_option("#f-group", "food")
            shot(owner, "product-form")
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
            shot(owner, "place-form")
            owner.click("button.primary")
            owner.wait_for_url(f"{base}/console/places")
            assert "Vườn ong Sủng Là" in owner.inner_text("#places-list")

            owner.click("nav >> text=Lô hàng")
            owner.click("text=Tạo lô hàng")
            owner.fill("#f-lot", "MO-2026-01")
            owner.fill("#f-quantity", "40")
            owner.fill("#f-unit", "kg")
            owner.fill("#f-productionDate", "2026-11-20")
            owner.fill("#f-expiryDate", "2028-11-20")
            owner.select_option("#f-originLocation", label="Vườn ong Sủng Là (VUON-1)")
            shot(owner, "batch-form")
            owner.click("button.primary")
            owner.wait_for_url(f"{base}/console/batches/bat_*")
            batch = urlsplit(owner.url).path.rsplit("/", 1)[1]
            shot(owner, "batch")

            owner.goto(f"{base}/console/batches/{batch}/items/new")
            owner.fill("#count", "20")
            assert owner.is_checked("input[name=pins]")
            shot(owner, "issue")
            with owner.expect_download() as download:
                owner.click("#issue")
            saved = tmp_path / "tem.pdf"
            download.value.save_as(saved)
            pdf = saved.read_bytes()
            serials = check_stamps(pdf, database, ledger, 20, claim=False)
        finally:
            browser.close()

        stamps = stamp_pictures(pdf, 2)
        scanned = [parse_path(urlsplit(uri).path).serial or "" for uri, _ in stamps]
        assert set(scanned) <= set(serials)
        video = tmp_path / "stamps.y4m"
        write_y4m(video, [p for _, p in stamps])

        # The phone in the field: its camera sees the two printed stamps, one after the other.
        phone_browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        try:
            phone = person(phone_browser, permissions=["camera"])
            context = phone.context
            sign_in(phone, "my@example.vn", OWNER_PASSWORD)
            assert phone.evaluate("() => navigator.serviceWorker.ready.then(r => !!r.active)")
            phone.goto(f"{base}/console/queue")  # kept by the service worker from now on
            assert phone.evaluate("!!navigator.serviceWorker.controller")
            phone.wait_for_selector("#queue-list li")  # drawn from IndexedDB, after the load
            assert "Không có sự kiện nào chờ gửi." in phone.inner_text("#queue-list")
            shot(phone, "queue-empty")

            form = f"{base}/console/batches/{batch}/events/new"
            phone.goto(form)
            phone.select_option("#step", "ship")
            phone.select_option("#place", label="Vườn ong Sủng Là")
            phone.click("#scan-start")
            phone.wait_for_function(
                "() => document.getElementById('codes').value.trim().split('\\n').length >= 2",
                timeout=30_000,
            )
            phone.click("#scan-stop")
            # Linux Chromium has no BarcodeDetector: the vendored jsQR read the stamps.
            assert phone.evaluate("() => 'BarcodeDetector' in window") is False
            assert phone.evaluate("() => typeof (window.jsQR.default || window.jsQR)") == "function"
            lines = phone.input_value("#codes").split()
            assert sorted(lines) == sorted(uri for uri, _ in stamps)
            assert phone.is_checked("#scope-items")
            assert "Đã quét" in phone.inner_text("#scan-status") or "đã có" in phone.inner_text(
                "#scan-status"
            )
            shot(phone, "scanned")
            phone.click("#record")
            phone.wait_for_url(f"{base}/console/batches/{batch}/events?done=event")
            assert "Vận chuyển" in phone.inner_text("#events")
            shot(phone, "shipped")
            for serial in scanned:
                assert events_of(database, serial, "shipping") == 1

            # The record-event page once more online (the worker keeps it), then no network.
            phone.goto(form)
            context.set_offline(True)
            phone.goto(form)
            assert phone.evaluate("navigator.onLine") is False
            assert "Ghi sự kiện" in phone.inner_text("h1")
            sales_before = statements(database, "event.recorded")
            phone.select_option("#step", "sell")
            phone.check("#scope-items")
            phone.fill("#codes", scanned[0])
            phone.click("#record")
            phone.wait_for_selector("#queue-status:not([hidden])")
            assert "Mất mạng: đã lưu sự kiện" in phone.inner_text("#queue-status")
            assert "Sự kiện chờ gửi: 1" in phone.inner_text("#queue-banner")
            shot(phone, "queued")
            # A second one, with a code that is on no stamp: the ledger will refuse it.
            phone.fill("#codes", "KHONG-CO-MA")
            phone.click("#record")
            phone.wait_for_function(
                "() => document.getElementById('queue-banner').textContent.endsWith(': 2')"
            )
            phone.goto(f"{base}/console/queue")
            phone.wait_for_selector("#queue-list li .state")
            assert "Bán lẻ" in phone.inner_text("#queue-list")
            assert phone.inner_text("#queue-list").count("Đang chờ gửi") == 2
            assert not phone.is_visible("#queue-send")  # nothing to send it through
            shot(phone, "queue-waiting")
            assert statements(database, "event.recorded") == sales_before
            assert events_of(database, scanned[0], "retail_selling") == 0

            # The connection returns: the page sends what waited, once.
            context.set_offline(False)
            phone.wait_for_selector("#queue-list .state.ok", timeout=15_000)
            phone.wait_for_selector("#queue-list .state.bad", timeout=15_000)
            listed = phone.inner_text("#queue-list")
            assert "Đã gửi" in listed
            assert "Bị từ chối: Không tìm thấy mã: KHONG-CO-MA" in listed
            assert "Đang chờ gửi" not in listed
            shot(phone, "queue-sent")
            assert events_of(database, scanned[0], "retail_selling") == 1
            assert statements(database, "event.recorded") == sales_before + 1

            # A send whose answer was lost is sent again: the ledger replays it, adds nothing.
            key = phone.evaluate(
                """() => new Promise((ok, no) => {
                    const open = indexedDB.open("ocop-console", 1);
                    open.onsuccess = () => {
                        const tx = open.result.transaction("queue", "readwrite");
                        const store = tx.objectStore("queue");
                        const all = store.getAll();
                        all.onsuccess = () => {
                            const entry = all.result.find(e => e.status === "sent");
                            entry.status = "waiting";
                            store.put(entry);
                            tx.oncomplete = () => ok(entry.key);
                        };
                    };
                    open.onerror = no;
                })"""
            )
            phone.reload()
            phone.wait_for_selector("#queue-list .state.ok", timeout=15_000)
            assert events_of(database, scanned[0], "retail_selling") == 1
            assert statements(database, "event.recorded") == sales_before + 1
            phone.goto(f"{base}/console/batches/{batch}/events")
            assert "Bán lẻ" in phone.inner_text("#events")
            shot(phone, "sold")
            # Signing out forgets the pages the worker kept (they hold this member's forms).
            assert phone.evaluate("() => caches.has('ocop-pages')") is True
            phone.click("nav button.link")
            phone.wait_for_url(f"{base}/console/login?out=1")
            assert phone.evaluate("() => caches.has('ocop-pages')") is False
        finally:
            phone_browser.close()
    assert hosts == {urlsplit(base).netloc}
    # Chromium's only lines: the refused event's 422, and requests cut while offline.
    refusals = [p for p in problems if "status of 422" in p]
    assert len(refusals) == 1
    assert [p for p in problems if "ERR_INTERNET_DISCONNECTED" not in p] == refusals
    with database.read_sessions() as s:
        sale = s.execute(
            select(LedgerEntry.entry)
            .where(LedgerEntry.type == "event.recorded")
            .order_by(LedgerEntry.seq.desc())
            .limit(1)
        ).scalar_one()
    statement = json.loads(sale)["statement"]
    assert "retail_selling" in json.dumps(statement)
    assert statement["member"]  # signed for the member who recorded it offline
    assert len(key) == 24  # the key drawn on the phone, not the cached page's


def test_recording_an_event_needs_no_javascript_in_chromium(
    live: str,
    database: Database,
    scenario: Scenario,
) -> None:
    """The same page with scripts off: no scanner, no queue, and the form still records."""
    from playwright.sync_api import sync_playwright

    base = live
    with database.write() as s:
        create_account(
            s,
            PRODUCER_OWNER,
            scenario.producer,
            PersonInput("Nguyễn Văn Hùng", "hung@example.vn", None, OWNER_PASSWORD),
        )
    before = statements(database, "event.recorded")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(
                viewport=VIEWPORT, locale="vi-VN", java_script_enabled=False
            )
            page = context.new_page()
            page.goto(f"{base}/console/login")
            page.fill("#login", "hung@example.vn")
            page.fill("#password", OWNER_PASSWORD)
            page.click("button.primary")
            page.wait_for_url(f"{base}/console/")
            page.goto(f"{base}/console/batches/{scenario.batch}/events/new")
            assert not page.is_visible("#scan-start") and not page.is_visible("#queue-link")
            page.select_option("#step", "store")
            page.click("#record")
            page.wait_for_url(f"{base}/console/batches/{scenario.batch}/events?done=event")
            assert "Lưu kho" in page.inner_text("#events")
            assert context.service_workers == []
            page.goto(f"{base}/console/queue")
            assert "Hàng chờ cần JavaScript" in page.inner_text("main")
        finally:
            browser.close()
    assert statements(database, "event.recorded") == before + 1
