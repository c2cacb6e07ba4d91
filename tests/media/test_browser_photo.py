"""The photo in a real headless Chromium (Debian's, as tests/browser/test_page.py): the browser
picks the phone-size WebP from the page's <picture>, our server answers it, nothing is refused.
Then, through Playwright at the 360x780 phone viewport, axe-core finds no WCAG 2.1 AA violation on
the page with the photo and the producer's logo, in vi and en."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from support.axe import assert_accessible
from support.images import photo
from support.scenario import Scenario
from werkzeug.serving import make_server

from traceapp.batches.models import Item
from traceapp.config import get_settings
from traceapp.db.sessions import Database
from traceapp.ledger_store.writer import Ledger
from traceapp.media.images import store_photo
from traceapp.media.store import DirectoryStore
from traceapp.producers.logos import set_producer_logo
from traceapp.products.photos import set_product_photo

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        message = "Chromium is not installed (CI: apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


class Requests:
    """WSGI middleware recording (path, status) of every request the browser makes."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.seen: list[tuple[str, int]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def recording(status: str, headers: Any, *args: Any) -> Any:
            self.seen.append((environ["PATH_INFO"], int(status[:3])))
            return start_response(status, headers, *args)

        return self.app(environ, recording)


@pytest.fixture
def served(app: Flask) -> Iterator[tuple[str, Requests]]:
    log = Requests(app.wsgi_app)
    app.wsgi_app = log  # type: ignore[method-assign]
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}", log
    finally:
        http.shutdown()
        thread.join(timeout=10)


def test_chromium_loads_the_webp_photo(
    app: Flask, database: Database, ledger: Ledger, scenario: Scenario,
    served: tuple[str, Requests], tmp_path: Path, request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    browser = chromium()
    picture = store_photo(DirectoryStore(get_settings(app).media_dir), photo((1600, 1200)))
    with database.write() as s:
        set_product_photo(s, ledger, scenario.producer_key, scenario.product, picture)
        serial = s.execute(
            select(Item.serial).where(Item.public_id == scenario.items[0])
        ).scalar_one()
    base, log = served
    ARTIFACTS.mkdir(exist_ok=True)
    backend = request.node.callspec.params.get("database_template", "db")
    screenshot = ARTIFACTS / f"verify-photo-{backend}.png"
    screenshot.unlink(missing_ok=True)
    shot = subprocess.run(
        [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update",
            "--enable-logging=stderr", "--v=0", "--window-size=412,915", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={screenshot}",
            f"{base}/01/08938505974019/10/L2026-11A/21/{serial}?lang=vi",
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.exists()
    refused = [line for line in shot.stderr.splitlines() if "Refused to" in line]
    assert refused == []
    assert (f"/media/{picture.sha256}.webp", 200) in log.seen, log.seen
    assert not any(path.endswith(".jpg") for path, _ in log.seen)  # WebP understood
    assert all(status in (200, 304) for _, status in log.seen), log.seen

    # The same page with the producer's logo too, for axe-core.
    logo = store_photo(DirectoryStore(get_settings(app).media_dir), photo((600, 600), "PNG"))
    with database.write() as s:
        set_producer_logo(s, ledger, scenario.producer_key, scenario.producer, logo)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=browser, args=["--no-sandbox"])
        try:
            page = launched.new_context(viewport={"width": 360, "height": 780}).new_page()
            for lang in ("vi", "en"):
                page.goto(f"{base}/01/08938505974019/10/L2026-11A/21/{serial}?lang={lang}")
                assert page.locator("img.product-image").evaluate("i => i.naturalWidth") > 0
                assert page.locator(".producer-logo img").evaluate("i => i.naturalWidth") > 0
                assert_accessible(page, f"item page with photo and logo ({lang})")
        finally:
            launched.close()
