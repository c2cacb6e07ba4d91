"""The console's offline pieces as the server sees them: the service worker and its scope, the
queue page in both languages, page weight with the new scripts, and the form posts the queue
relies on (a key drawn on the phone; the same post sent again lands once; a refusal the queue
can read). The browser half is tests/browser/test_console_flow.py."""

from __future__ import annotations

import re
import secrets
from base64 import urlsafe_b64encode
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support.scenario import Scenario

from traceapp.accounts.models import Account
from traceapp.db.sessions import Database
from traceapp.events.models import Event

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, People, csrf_of, owner_of, sign_in

PAGE_BUDGET = 50 * 1024
STATIC = Path(__file__).resolve().parents[2] / "traceapp" / "static"
_ASSET = re.compile(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"')


def phone_key() -> str:
    """A key as console-offline.js draws one: 18 random bytes, base64url."""
    return urlsafe_b64encode(secrets.token_bytes(18)).decode()


def event_count(database: Database) -> int:
    with database.read_sessions() as s:
        return int(s.execute(select(func.count()).select_from(Event)).scalar_one())


def test_the_service_worker_is_served_for_the_console_only(client: FlaskClient) -> None:
    response = client.get("/console/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/console/"
    body = response.get_data(as_text=True)
    # Every file the worker keeps at install exists (a missing one fails the whole install).
    shell = re.search(r"var SHELL = \[(.*?)\];", body, re.S)
    assert shell is not None
    files = re.findall(r'"([^"]+)"', shell.group(1))
    assert "/static/vendor/jsqr/jsQR.js" in files and "/static/console.css" in files
    for path in files:
        assert client.get(path).status_code == 200, path
    assert not re.search(r"https?://", body)  # no other host, not even its own by name
    assert "Apache License" in (STATIC / "vendor" / "jsqr" / "LICENSE").read_text()
    assert "1.4.0" in (STATIC / "vendor" / "jsqr" / "SOURCE.md").read_text()


def test_the_queue_page_in_both_languages(app: Flask, people: People) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/console/queue").headers["Location"].startswith("/console/login")
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "hung@example.vn")
    vi = owner.get("/console/queue").get_data(as_text=True)
    assert "Sự kiện chờ gửi" in vi and 'id="queue-list"' in vi
    assert "Hàng chờ cần JavaScript" in vi  # what a phone without scripts is told
    assert 'data-refused="Bị từ chối: {reason}"' in vi
    en = owner.get("/console/queue", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Events waiting to be sent" in en and 'data-refused="Refused: {reason}"' in en


def test_only_producer_members_get_the_queue(
    app: Flask, people: People, database: Database, scenario: Scenario
) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "hung@example.vn")
    with database.read_sessions() as s:
        member = s.execute(
            select(Account.member_id).where(Account.login == "hung@example.vn")
        ).scalar_one()
    page = owner.get("/console/").get_data(as_text=True)
    assert f'<meta name="ocop-member" content="{member}">' in page
    assert "console-offline.js" in page
    admin = app.test_client()
    assert sign_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
    office = admin.get("/console/").get_data(as_text=True)
    assert "ocop-member" not in office and "console-offline.js" not in office


def test_the_record_event_page_with_its_scripts_stays_small(
    app: Flask, people: People, scenario: Scenario
) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "hung@example.vn")
    page = owner.get(f"/console/batches/{scenario.batch}/events/new").get_data()
    assets = _ASSET.findall(page.decode())
    assert {"/static/console.css", "/static/console-offline.js", "/static/console-scan.js"} <= set(
        assets
    )
    # The QR decoder is fetched only when a camera without BarcodeDetector is started.
    assert not any("jsQR" in a for a in assets) and 'data-jsqr="/static/vendor/jsqr/jsQR.js"' in (
        page.decode()
    )
    weight = len(page) + sum(len(owner.get(a).get_data()) for a in assets)
    assert weight <= PAGE_BUDGET, weight
    for path in ("/console/queue", f"/console/batches/{scenario.batch}/events"):
        shown = owner.get(path).get_data()
        extra = sum(len(owner.get(a).get_data()) for a in _ASSET.findall(shown.decode()))
        assert len(shown) + extra <= PAGE_BUDGET, path


def test_a_queued_post_sent_twice_lands_once_and_a_refusal_reads_as_one(
    app: Flask, people: People, database: Database, scenario: Scenario
) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "hung@example.vn")
    action = f"/console/batches/{scenario.batch}/events/new"
    token = csrf_of(owner.get(action))
    before = event_count(database)
    sale = {
        "csrf_token": token,
        "idempotency_key": phone_key(),
        "step": "ship",
        "when": "2026-11-30T08:15",
        "place": "",
        "scope": "batch",
        "codes": "",
    }
    first = owner.post(action, data=sale)
    assert first.status_code == 303
    assert first.headers["Location"].endswith("/events?done=event")
    # The answer was lost; the phone sends the very same post again: a replay.
    again = owner.post(action, data=sale)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert event_count(database) == before + 1
    # A waiting event the ledger refuses: the queue shows the page's own reason.
    refused = owner.post(
        action,
        data={**sale, "idempotency_key": phone_key(), "scope": "items", "codes": "KHONG-CO-MA"},
    )
    assert refused.status_code == 422
    assert re.search(
        r'id="form-error">Không tìm thấy mã: KHONG-CO-MA<', refused.get_data(as_text=True)
    )
    assert event_count(database) == before + 1
