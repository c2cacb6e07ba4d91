"""The item page's witness section in a real Chromium, once two test witnesses cosigned."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from browser.test_page import ARTIFACTS, CHROMIUM_FLAGS, GTIN, chromium
from sqlalchemy import select
from support.scenario import build_scenario
from support.tlog_witness import TestWitness
from support.witnessing import witnessed_app
from werkzeug.serving import make_server

from traceapp.batches.models import Item
from traceapp.db.sessions import get_database
from traceapp.keys.services import admin_key_name
from traceapp.ledger_runtime import get_ledger
from traceapp.witness.pusher import Pusher
from traceapp.witness.runtime import get_witnessing


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_page_names_the_witnesses(
    app_config: dict[str, Any],
    test_witnesses: list[TestWitness],
    tmp_path: Path,
    lang: str,
    request: pytest.FixtureRequest,
) -> None:
    browser = chromium()
    app = witnessed_app(app_config, test_witnesses, WITNESS_QUORUM="2")
    database, ledger = get_database(app), get_ledger(app)
    with database.read_sessions() as s:
        admin = admin_key_name(s)
    scenario = build_scenario(database, ledger, admin)
    pusher = Pusher(database, ledger.origin, get_witnessing(app).witnesses, timeout=2.0)
    assert len(pusher.run_once()) == 2
    with database.read_sessions() as s:
        serial = s.execute(select(Item.serial).where(Item.public_id == scenario.items[0])).scalar()
    assert serial is not None
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    backend = request.node.callspec.params.get("database_template", "db")
    screenshot = ARTIFACTS / f"verify-page-witnesses-{lang}-{backend}.png"
    ARTIFACTS.mkdir(exist_ok=True)
    url = (
        f"http://127.0.0.1:{http.server_port}/01/{GTIN}/10/L2026-11A/21/"
        f"{quote(serial, safe='')}?lang={lang}"
    )
    try:
        runs = [
            subprocess.run(
                [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'p'}", extra, url],
                capture_output=True,
                text=True,
                timeout=120,
            )
            for extra in (f"--screenshot={screenshot}", "--dump-dom")
        ]
    finally:
        http.shutdown()
        thread.join(timeout=10)
        database.dispose()
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr[-2000:]
    dom = runs[1].stdout
    assert 'id="witnesses"' in dom
    expected = (
        "2 nhân chứng độc lập đã đồng ký" if lang == "vi" else "2 independent witnesses cosigned"
    )
    assert expected in dom
    assert "witness1.example/w" in dom and "witness2.example/w" in dom
    assert screenshot.exists() and screenshot.stat().st_size > 10_000
