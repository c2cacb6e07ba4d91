"""The landing page ``/`` (enter a code) and the report of a suspected fake (``/report``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support.scenario import Scenario

from traceapp.batches.models import Item
from traceapp.db.sessions import get_database
from traceapp.ledger_runtime import get_ledger
from traceapp.products.services import ProductChanges, update_product
from traceapp.reports.errors import InvalidReport, TooManyReports
from traceapp.reports.models import Report
from traceapp.reports.services import (
    MAX_DETAILS,
    MAX_PER_WINDOW,
    ReportInput,
    list_reports,
    submit_report,
)

BASE = "https://truyxuat.ocop.example.vn"
GTIN = "08938505974019"
LOT = "L2026-11A"
ORIGIN = {"Origin": BASE}
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def serial(app: Flask, scenario: Scenario) -> str:
    with get_database(app).read_sessions() as session:
        return session.execute(
            select(Item.serial).where(Item.public_id == scenario.items[0])
        ).scalar_one()


def item_path(serial: str) -> str:
    return f"/01/{GTIN}/10/{LOT}/21/{quote(serial, safe='')}"


# --- landing page ------------------------------------------------------------------------------


def test_landing_page_in_both_languages(client: FlaskClient) -> None:
    vi = client.get("/")
    assert vi.status_code == 200
    html = vi.get_data(as_text=True)
    assert '<html lang="vi">' in html and "OCOP là gì?" in html and "Cách kiểm tra" in html
    assert '<label for="code">' in html and '<label for="lot">' in html
    assert "<script" not in html  # works without JavaScript
    assert 'href="/report"' in html
    en = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en and "What is OCOP?" in en
    assert 'name="lang" value="en"' in en  # the form keeps the chosen language


@pytest.mark.parametrize(
    "query",
    [
        "code={uri}",
        "code={uri}%3F17%3D281102",
        "code={path}",
        "code=truyxuat.ocop.example.vn{path}",
        "code=%2801%29{gtin}%2810%29{lot}%2821%29{serial}",
        "code=%20%2801%29{gtin}%20%2810%29{lot}%2821%29{serial}%20",
        "lot={lot}&serial={serial}",
        "lot={lot}&serial={lower}",
    ],
)
def test_a_code_typed_or_pasted_goes_to_its_page(
    client: FlaskClient, serial: str, query: str
) -> None:
    path = item_path(serial)
    filled = query.format(
        uri=quote(BASE + path, safe=""),
        path=quote(path, safe=""),
        gtin=GTIN,
        lot=LOT,
        serial=serial,
        lower=serial.lower(),
    )
    response = client.get(f"/?{filled}")
    assert response.status_code == 303, response.get_data(as_text=True)[-600:]
    assert response.headers["Location"] == path
    english = client.get(f"/?{filled}&lang=en")
    assert english.headers["Location"] == path + "?lang=en"


@pytest.mark.parametrize(
    "query, message",
    [
        ("code=https%3A%2F%2Fevil.example%2F01%2F08938505974019", "không thuộc hệ thống"),
        ("code=hello", "Không đọc được mã"),
        ("code=%2801%29123", "Không đọc được mã"),
        ("lot=L2026-11A", "cả số lô và số sê-ri"),
        ("lot=L2026-11A&serial=NOPE", "Sản phẩm có thể là hàng giả"),
    ],
)
def test_a_wrong_code_is_explained(
    client: FlaskClient, scenario: Scenario, query: str, message: str
) -> None:
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'role="alert"' in html


def test_landing_input_is_escaped(client: FlaskClient) -> None:
    html = client.get("/?code=" + quote(SCRIPT)).get_data(as_text=True)
    assert SCRIPT not in html and "&lt;script&gt;" in html


# --- reports: service --------------------------------------------------------------------------


def test_submit_and_list_reports(app: Flask, scenario: Scenario, serial: str) -> None:
    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    with get_database(app).write() as session:
        stored = submit_report(
            session,
            ReportInput(item_path(serial), "copied", "  Tem bị bóc\r\nrồi dán lại\x00 ", ""),
            client="abc",
            now=now,
            public_url=BASE,
        )
    assert stored.code == BASE + item_path(serial)
    assert stored.details == "Tem bị bóc\nrồi dán lại" and stored.contact is None
    with get_database(app).write() as session:
        submit_report(
            session,
            ReportInput(BASE + f"/01/{GTIN}/10/{LOT}/21/FAKE1", "not_found", None, "0912 345 678"),
            client="def",
            now=now + timedelta(minutes=1),
            public_url=BASE,
        )
    with get_database(app).read_sessions() as session:
        listed = list_reports(session)
        assert [r.reason for r in listed] == ["not_found", "copied"]  # newest first
        assert [r.reason for r in list_reports(session, code=stored.code)] == ["copied"]
        assert list_reports(session, since=now + timedelta(seconds=30))[0].client == "def"
        assert [r.reason for r in list_reports(session, reasons=["copied"])] == ["copied"]
        with pytest.raises(InvalidReport):
            list_reports(session, limit=0)


@pytest.mark.parametrize(
    "data, field",
    [
        (ReportInput("https://evil.example/01/08938505974019", "copied"), "code"),
        (ReportInput("not a code", "copied"), "code"),
        (ReportInput(f"/01/{GTIN}", "because"), "reason"),
        (ReportInput(f"/01/{GTIN}", "other", "x" * (MAX_DETAILS + 1)), "details"),
        (ReportInput(f"/01/{GTIN}", "other", None, "y" * 201), "contact"),
    ],
)
def test_a_bad_report_is_refused_and_nothing_stored(
    app: Flask, data: ReportInput, field: str
) -> None:
    with pytest.raises(InvalidReport) as refused, get_database(app).write() as session:
        submit_report(session, data, client="abc", now=datetime.now(UTC), public_url=BASE)
    assert refused.value.field == field
    with get_database(app).read_sessions() as session:
        assert session.execute(select(func.count()).select_from(Report)).scalar_one() == 0


def test_reports_are_limited_per_client(app: Flask) -> None:
    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    data = ReportInput(f"/01/{GTIN}", "other")
    for minute in range(MAX_PER_WINDOW):
        with get_database(app).write() as session:
            when = now + timedelta(minutes=minute)
            submit_report(session, data, client="abc", now=when, public_url=BASE)
    with pytest.raises(TooManyReports) as limited, get_database(app).write() as session:
        submit_report(session, data, client="abc", now=now + timedelta(minutes=10), public_url=BASE)
    assert limited.value.retry_after == 50 * 60
    with get_database(app).write() as session:  # another client, or an hour later
        submit_report(session, data, client="xyz", now=now + timedelta(minutes=10), public_url=BASE)
        submit_report(session, data, client="abc", now=now + timedelta(hours=1), public_url=BASE)


# --- reports: pages ----------------------------------------------------------------------------


def test_report_form_post_redirect_get(
    app: Flask, client: FlaskClient, scenario: Scenario, serial: str
) -> None:
    page = client.get(item_path(serial)).get_data(as_text=True)
    link = "/report?code=" + quote(BASE + item_path(serial), safe="")
    assert f'href="{link}"' in page  # every item page links to the form
    form = client.get(link)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and 'method="post"' in html
    assert f'value="{BASE}{item_path(serial)}"' in html
    for name in ("code", "details", "contact"):
        assert f'<label for="{name}">' in html
    assert "<legend>Lý do</legend>" in html
    posted = client.post(
        "/report",
        data={"code": BASE + item_path(serial), "reason": "label", "details": SCRIPT,
              "contact": SCRIPT},
        headers=ORIGIN,
    )  # fmt: skip
    assert posted.status_code == 303
    thanks = client.get(posted.headers["Location"])
    thanks_html = thanks.get_data(as_text=True)
    assert "Cảm ơn bạn đã báo cáo" in thanks_html
    assert f'href="{item_path(serial)}"' in thanks_html
    with get_database(app).read_sessions() as session:
        (report,) = list_reports(session)
    assert report.details == SCRIPT and report.contact == SCRIPT and report.reason == "label"
    assert len(report.client) == 16  # the scans' keyed fingerprint, not the address
    assert "127.0.0.1" not in report.client


def test_report_form_errors_and_escaping(client: FlaskClient, app: Flask) -> None:
    bad = client.post(
        "/report?lang=en",
        data={"code": SCRIPT, "reason": "", "details": "d"},
        headers=ORIGIN,
    )
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert SCRIPT not in html and "&lt;script&gt;" in html
    assert "The product code is invalid." in html
    long = client.post(
        "/report",
        data={"code": f"/01/{GTIN}", "reason": "other", "details": "x" * 1001},
        headers=ORIGIN,
    )
    assert long.status_code == 400 and "tối đa 1.000 ký tự" in long.get_data(as_text=True)
    cross = client.post("/report", data={"code": f"/01/{GTIN}", "reason": "other"})
    assert cross.status_code == 403
    with get_database(app).read_sessions() as session:
        assert list_reports(session) == []


def test_report_page_rate_limit(client: FlaskClient, app: Flask) -> None:
    for _ in range(MAX_PER_WINDOW):
        ok = client.post("/report", data={"code": f"/01/{GTIN}", "reason": "other"}, headers=ORIGIN)
        assert ok.status_code == 303
    over = client.post("/report", data={"code": f"/01/{GTIN}", "reason": "other"}, headers=ORIGIN)
    assert over.status_code == 429 and int(over.headers["Retry-After"]) > 3000
    html = over.get_data(as_text=True)
    assert "Bạn đã gửi nhiều báo cáo" in html
    assert re.search(r"sau (59|60) phút", html), html


def test_product_text_is_never_markup(
    app: Flask, client: FlaskClient, scenario: Scenario, serial: str
) -> None:
    with get_database(app).write() as session:
        update_product(
            session,
            get_ledger(app),
            scenario.producer_key,
            scenario.product,
            ProductChanges(name_vi=f"Trà {SCRIPT}", description=f"Mô tả {SCRIPT}"),
        )
    for lang in ("vi", "en"):
        html = client.get(item_path(serial) + f"?lang={lang}").get_data(as_text=True)
        # The page has scripts of its own (share.js, JSON-LD); the product's text is never one.
        assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
