"""Scratch-off PIN claims through the page's form: success, lockout, CSRF, rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support.scenario import Scenario
from verify_support import item_path

from traceapp.batches.models import Item
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.models import LedgerEntry
from traceapp.scans.models import PinAttempts
from traceapp.verification.pins import claim_with_pin, lock_duration, normalise_pin
from traceapp.verification.ratelimit import Limit, RateLimiter

ORIGIN = {"Origin": "https://truyxuat.ocop.example.vn"}


def _post(client: FlaskClient, serial: str, pin: str, **headers: str) -> object:
    return client.post(item_path(serial), data={"pin": pin}, headers={**ORIGIN, **headers})


def test_correct_pin_claims_the_item_on_the_ledger(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    serial = serials[0]
    response = client.post(item_path(serial), data={"pin": scenario.pins[serial]}, headers=ORIGIN)
    assert response.status_code == 200
    just_claimed = response.get_data(as_text=True)
    assert "Sản phẩm đã được xác nhận là của bạn" in just_claimed
    # The buyer who just claimed is thanked, not warned that the code may be copied.
    assert "Cảm ơn bạn đã kích hoạt sản phẩm này" in just_claimed
    assert "Mã này đã được một người mua kích hoạt" not in just_claimed
    with get_database(app).read_sessions() as session:
        item = session.execute(select(Item).where(Item.serial == serial)).scalar_one()
        assert item.status == "claimed"
        entry = session.get(LedgerEntry, (get_ledger(app).origin, item.status_seq))
        assert entry is not None and entry.type == "item.claimed"
    # A later scan, from anywhere, warns that the code was already claimed.
    later = client.get(item_path(serial) + "?lang=en", headers={"Accept": "application/json"})
    assert later.json is not None
    assert later.json["item"]["claimed"] is True
    assert "claimed" in {w["code"] for w in later.json["warnings"]}
    mine = client.get(item_path(serial)).get_data(as_text=True)
    assert "Cảm ơn bạn đã kích hoạt sản phẩm này" in mine
    assert "Mã này đã được một người mua kích hoạt" not in mine
    assert "Sản phẩm thật, có trong hệ thống OCOP" in mine
    # Anyone else (another network) is warned.
    page = client.get(item_path(serial), environ_base={"REMOTE_ADDR": "198.51.100.7"})
    html = page.get_data(as_text=True)
    assert "Mã này đã được một người mua kích hoạt" in html
    assert "Cảm ơn bạn đã kích hoạt" not in html
    assert "Mã đã được người mua khác kích hoạt" in html  # the verdict
    again = client.post(item_path(serial), data={"pin": scenario.pins[serial]}, headers=ORIGIN)
    assert again.status_code == 409


def test_wrong_pins_lock_the_item(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    serial = serials[1]
    wrong = "00000000" if scenario.pins[serial] != "00000000" else "11111111"
    for attempt in range(4):
        response = client.post(item_path(serial), data={"pin": wrong}, headers=ORIGIN)
        assert response.status_code == 400
        assert f"Còn {4 - attempt} lần thử" in response.get_data(as_text=True)
    locked = client.post(item_path(serial), data={"pin": wrong}, headers=ORIGIN)
    assert locked.status_code == 429
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60
    # Even the right PIN is refused while locked.
    refused = client.post(item_path(serial), data={"pin": scenario.pins[serial]}, headers=ORIGIN)
    assert refused.status_code == 429
    with get_database(app).read_sessions() as session:
        item = session.execute(select(Item).where(Item.serial == serial)).scalar_one()
        assert item.status == "active"
        attempts = session.get(PinAttempts, item.public_id)
        assert attempts is not None and attempts.failures == 5


def test_lockout_grows_and_resets_on_success(
    app: Flask, scenario: Scenario, serials: list[str]
) -> None:
    assert lock_duration(5) == timedelta(minutes=15)
    assert lock_duration(10) == timedelta(minutes=30)
    assert lock_duration(15) == timedelta(minutes=60)
    assert lock_duration(500) == timedelta(hours=24)
    serial, item_id = serials[2], scenario.items[2]
    now = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    ledger = get_ledger(app)
    for round_ in (1, 2):
        for _ in range(5):
            with get_database(app).write() as session:
                wrong = "00000000" if scenario.pins[serial] != "00000000" else "11111111"
                result = claim_with_pin(session, ledger, item_id, wrong, now=now, client="c")
        assert result.outcome == "locked"
        assert result.retry_after == int(lock_duration(5 * round_).total_seconds())
        now += lock_duration(5 * round_) + timedelta(seconds=1)
    with get_database(app).write() as session:
        ok = claim_with_pin(session, ledger, item_id, scenario.pins[serial], now=now, client="c")
    assert ok.outcome == "claimed" and ok.ledger_index is not None
    with get_database(app).read_sessions() as session:
        attempts = session.get(PinAttempts, item_id)
        assert attempts is not None and attempts.failures == 0 and attempts.locked_until is None


@pytest.mark.parametrize(
    "typed",
    ["{a} {b}", "{a}-{b}", " {a}  {b} ", "{fa}{fb}", "{fa} {fb}", "{a}\u2013{b}"],
)
def test_a_pin_typed_with_spaces_dashes_or_full_width_digits_claims(
    client: FlaskClient, scenario: Scenario, serials: list[str], typed: str
) -> None:
    serial = serials[0]
    pin = scenario.pins[serial]
    wide = "".join(chr(ord(c) + 0xFEE0) for c in pin)  # full-width digits, as an IME types
    entry = typed.format(a=pin[:4], b=pin[4:], fa=wide[:4], fb=wide[4:])
    response = client.post(item_path(serial), data={"pin": entry}, headers=ORIGIN)
    assert response.status_code == 200, entry
    assert "Sản phẩm đã được xác nhận là của bạn" in response.get_data(as_text=True)


def test_a_malformed_pin_costs_no_attempt(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    serial = serials[1]
    for entry in ("abc", "1234", "123456789", "12 34 56 7x", ""):
        response = client.post(item_path(serial), data={"pin": entry}, headers=ORIGIN)
        assert response.status_code == 400
        assert "Mã PIN gồm 8 chữ số" in response.get_data(as_text=True)
    english = client.post(item_path(serial) + "?lang=en", data={"pin": "12"}, headers=ORIGIN)
    assert "The PIN has 8 digits" in english.get_data(as_text=True)
    with get_database(app).read_sessions() as session:
        item = session.execute(select(Item).where(Item.serial == serial)).scalar_one()
        attempts = session.get(PinAttempts, item.public_id)
        assert attempts is None or attempts.failures == 0
    # A well-formed wrong PIN still counts.
    wrong = "00000000" if scenario.pins[serial] != "00000000" else "11111111"
    assert client.post(item_path(serial), data={"pin": wrong}, headers=ORIGIN).status_code == 400
    with get_database(app).read_sessions() as session:
        attempts = session.get(PinAttempts, item.public_id)
        assert attempts is not None and attempts.failures == 1


def test_normalise_pin() -> None:
    assert normalise_pin("5992 9770") == "59929770"
    assert normalise_pin("5992-9770") == "59929770"
    assert normalise_pin("５９９２　９７７０") == "59929770"
    assert normalise_pin("5992.9770") == "59929770"
    for bad in ("", "5992977", "599297701", "5992977O", "٥٩٩٢٩٧٧٠x"):
        assert normalise_pin(bad) is None


def test_cross_site_posts_are_refused(
    client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    serial = serials[3]
    pin = scenario.pins[serial]
    for headers in ({}, {"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"}):
        response = client.post(item_path(serial), data={"pin": pin}, headers=headers)
        assert response.status_code == 403
    by_referer = client.post(
        item_path(serial),
        data={"pin": pin},
        headers={"Referer": "https://truyxuat.ocop.example.vn" + item_path(serial)},
    )
    assert by_referer.status_code == 200


@pytest.mark.usefixtures("still_clock")
def test_public_endpoints_are_rate_limited(
    app: Flask, client: FlaskClient, scenario: Scenario, serials: list[str]
) -> None:
    app.config["RATE_LIMITS"] = {
        "page": Limit(3, 60.0),
        "bundle": Limit(1, 60.0),
        "claim": Limit(2, 60.0),
    }
    for _ in range(3):
        assert client.get(item_path(serials[4])).status_code == 200
    limited = client.get(item_path(serials[4]))
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    html = limited.get_data(as_text=True)
    # A genuine code over the limit is not called invalid: the page says to wait.
    assert "Bạn kiểm tra quá nhiều lần" in html and "không hợp lệ" not in html
    assert f"vui lòng đợi {limited.headers['Retry-After']} giây" in html
    english = client.get(item_path(serials[4]) + "?lang=en")
    assert english.status_code == 429 and "Too many checks" in english.get_data(as_text=True)
    assert "Invalid code" not in english.get_data(as_text=True)
    as_json = client.get(item_path(serials[4]), headers={"Accept": "application/json"})
    assert as_json.status_code == 429 and as_json.json["error"]["code"] == "RATE_LIMITED"
    assert client.get(f"/ledger/bundle{item_path(serials[4])}").status_code == 200
    assert client.get(f"/ledger/bundle{item_path(serials[4])}").status_code == 429
    for _ in range(2):
        assert _post(client, serials[4], "bad").status_code == 400  # type: ignore[attr-defined]
    over = _post(client, serials[4], "bad")
    assert over.status_code == 429 and over.headers["Retry-After"]  # type: ignore[attr-defined]
    # Another client is not affected.
    other = client.get(item_path(serials[4]), environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200


def test_rate_limiter_windows() -> None:
    clock = [100.0]
    limiter = RateLimiter(clock=lambda: clock[0])
    limit = Limit(2, 10.0)
    assert limiter.hit("b", "c", limit) == 0
    assert limiter.hit("b", "c", limit) == 0
    assert limiter.hit("b", "c", limit) == 10
    assert limiter.hit("b", "other", limit) == 0
    clock[0] += 7.5
    assert limiter.hit("b", "c", limit) == 3
    clock[0] += 2.5
    assert limiter.hit("b", "c", limit) == 0
