"""The office's statistics, certificates, reports and exports pages: who sees them, what they
show, the files they give (read back with ``csv`` and ``openpyxl``), the reports' triage."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from console.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    People,
    csrf_of,
    make_people,
    owner_of,
    post_form,
    sign_in,
)
from flask.testing import FlaskClient
from support.scenario import Scenario

from office_stats.conftest import Country
from traceapp.accounts.models import AUDITOR, OFFICE_STAFF
from traceapp.accounts.services import PersonInput, create_account
from traceapp.db.sessions import Database
from traceapp.ledger_store.models import LedgerHead
from traceapp.ledger_store.writer import Ledger
from traceapp.reports.services import ReportInput, submit_report

STAFF = ("canbo@ocop.example.vn", "cán bộ văn phòng 2026")
AUDIT = ("kiemtoan@ocop.example.vn", "kiểm toán viên độc lập")
PUBLIC_URL = "http://127.0.0.1:8000"


@pytest.fixture
def people(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario, country: Country
) -> People:
    found = make_people(database, ledger, admin, scenario)
    with database.write() as s:
        create_account(s, OFFICE_STAFF, None, PersonInput("Lê Văn Tâm", STAFF[0], None, STAFF[1]))
        create_account(s, AUDITOR, None, PersonInput("Phạm Thu Hà", AUDIT[0], None, AUDIT[1]))
    return found


def _size(database: Database, ledger: Ledger) -> int:
    with database.read_sessions() as s:
        head = s.get(LedgerHead, ledger.origin)
        assert head is not None
        return head.size


def test_the_office_reads_totals_charts_and_the_checkpoint(
    client: FlaskClient, people: People, database: Database, ledger: Ledger
) -> None:
    assert sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
    page = client.get("/console/office/statistics").get_data(as_text=True)
    # Lào Cai's cooperative, the one in Lào Cai of make_people, the former Quảng Nam's household.
    assert 'id="total-producers">3<' in page
    assert 'id="total-products">3<' in page
    assert 'id="ending-30"' in page and ">1</a>" in page
    assert page.count("<svg") >= 8 and "<script" not in page
    assert f"{_size(database, ledger)}" in page.split('id="as-of"')[1].split("</p>")[0]
    narrowed = client.get("/console/office/statistics?province=quang+nam").get_data(as_text=True)
    assert 'id="total-producers">1<' in narrowed and "Xã Đại Hiệp" in narrowed
    refused = client.get("/console/office/statistics?province=Atlantis")
    assert refused.status_code == 422
    assert "Không tìm thấy tỉnh" in refused.get_data(as_text=True)


def test_certificates_ending_soon_are_listed_and_exported(
    client: FlaskClient, people: People
) -> None:
    assert sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
    page = client.get("/console/office/statistics/certificates?days=30").get_data(as_text=True)
    assert "Bánh tráng nước dừa" in page and "77/QĐ-UBND" in page
    assert "Trà Shan tuyết" not in page  # valid until 2028
    data = client.get("/console/office/export/certificates.csv?days=90").get_data()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    table = rows[rows.index([]) + 2 :]
    assert [r[9] for r in table] == ["77/QĐ-UBND"]


def _split(rows: list[list[str]]) -> tuple[dict[str, str], list[str], list[list[str]]]:
    blank = rows.index([])
    header = {r[0]: r[1] for r in rows[:blank] if r[0] != "filter"}
    return header, rows[blank + 1], rows[blank + 2 :]


def test_csv_exports_have_a_bom_the_checkpoint_and_every_row(
    client: FlaskClient, people: People, database: Database, ledger: Ledger
) -> None:
    assert sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
    response = client.get("/console/office/export/products.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    header, columns, rows = _split(list(csv.reader(io.StringIO(data.decode("utf-8-sig")))))
    assert header["ocop-trace-export/v1"] == "products"
    assert int(header["checkpoint_size"]) == _size(database, ledger)
    with database.read_sessions() as s:
        head = s.get(LedgerHead, ledger.origin)
        assert head is not None
    assert base64.b64decode(header["checkpoint_root"]) == head.root_hash
    assert bytes.fromhex(header["checkpoint_root_hex"]) == head.root_hash
    assert columns[:3] == ["product", "gtin", "name_vi"]
    assert sorted(r[2] for r in rows) == [
        "Bánh tráng nước dừa",
        "Rượu Hồng Đào",
        "Trà Shan tuyết Cổ thụ",
    ]
    stat = client.get("/console/office/export/producers_by_province.csv").get_data()
    _, columns, rows = _split(list(csv.reader(io.StringIO(stat.decode("utf-8-sig")))))
    assert columns == ["province", "count"]
    assert dict((r[0], int(r[1])) for r in rows) == {"Lào Cai": 2, "Đà Nẵng": 1}


def test_xlsx_export_of_items_opens_with_openpyxl(
    client: FlaskClient, people: People, database: Database, ledger: Ledger, country: Country
) -> None:
    assert sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
    response = client.get("/console/office/export/items.xlsx?province=Đà Nẵng")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    blank = next(i for i, r in enumerate(rows) if all(c is None for c in r))
    header = {r[0]: r[1] for r in rows[:blank]}
    assert int(header["checkpoint_size"]) == _size(database, ledger)
    assert rows[blank + 1][0] == "item"
    assert sorted(r[0] for r in rows[blank + 2 :]) == sorted(country.honey_items)
    assert {r[6] for r in rows[blank + 2 :]} == {"Đà Nẵng"}


OFFICE_URLS = (
    "/console/office/statistics",
    "/console/office/statistics/certificates",
    "/console/office/export/products.csv",
    "/console/office/export/items.xlsx",
    "/console/office/reports",
)


def test_producers_get_404_on_every_office_page(
    client: FlaskClient, people: People, scenario: Scenario
) -> None:
    owner_of(client, people, scenario.producer, "chu@che.example.vn")
    for url in OFFICE_URLS:
        assert client.get(url).status_code == 404, url
    token = csrf_of(client.get("/console/account"))
    posted = client.post("/console/office/reports/rep_x/state", data={"csrf_token": token})
    assert posted.status_code == 404


def _report(database: Database, scenario: Scenario) -> str:
    with database.write() as s:
        return submit_report(
            s,
            ReportInput("/01/08938505974019/10/L2026-11A/21/x", "copied", "Tem in mờ"),
            client="c1",
            now=datetime.now(UTC),
            public_url=PUBLIC_URL,
        ).public_id


def test_staff_triage_a_report_and_every_change_is_recorded(
    client: FlaskClient, people: People, database: Database, scenario: Scenario
) -> None:
    report = _report(database, scenario)
    assert sign_in(client, *STAFF).status_code == 303
    inbox = client.get("/console/office/reports?state=new").get_data(as_text=True)
    assert report in inbox and "Tem" not in inbox.split("reports-list")[0]
    page = f"/console/office/reports/{report}"
    done = post_form(client, page, page + "/state", {"state": "checking", "note": "gọi cơ sở"})
    assert done.status_code == 303
    post_form(client, page, page + "/state", {"state": "confirmed"})
    shown = client.get(page).get_data(as_text=True)
    assert "đã xác nhận" in shown and shown.count("Lê Văn Tâm") == 2 and "gọi cơ sở" in shown
    assert report in client.get("/console/office/reports?state=confirmed").get_data(as_text=True)
    assert report not in client.get("/console/office/reports?state=new").get_data(as_text=True)
    wrong = post_form(client, page, page + "/state", {"state": "closed"})
    assert wrong.status_code == 422


def test_auditors_read_the_inbox_and_statistics_but_change_nothing(
    client: FlaskClient, people: People, database: Database, scenario: Scenario
) -> None:
    report = _report(database, scenario)
    assert sign_in(client, *AUDIT).status_code == 303
    assert client.get("/console/office/statistics").status_code == 200
    page = f"/console/office/reports/{report}"
    assert "Kiểm toán viên chỉ xem" in client.get(page).get_data(as_text=True)
    refused = post_form(client, page, page + "/state", {"state": "dismissed"})
    assert refused.status_code == 403
    assert "mới" in client.get(page).get_data(as_text=True).split('id="report-state">')[1][:20]


def test_a_cell_a_spreadsheet_would_run_is_written_as_text() -> None:
    from traceapp.exports.writers import csv_chunks

    data = b"".join(csv_chunks([["x", "+root"]], ["a"], [["=HYPERLINK(1)"], ["-3"], [-3]]))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["x", "+root"]  # the header is ours
    assert [r[0] for r in rows[3:]] == ["'=HYPERLINK(1)", "'-3", "-3"]


def test_chart_labels_are_escaped_and_english_pages_speak_english(
    client: FlaskClient, people: People
) -> None:
    from traceapp.console.charts import bar_chart, column_chart

    for draw in (bar_chart, column_chart):
        svg = str(draw("c", "<b>t</b>", [("<script>x</script>", 3.0)], str))
        assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg
    assert sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
    page = client.get("/console/office/statistics", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "OCOP statistics" in page and "Products by OCOP group" in page
