"""The office's producer pages (issue 17), on both engines: the role matrix (office admin does
everything; office staff register, update, invite and read; auditors read; producers' members
get 404 on every office URL), and the admin's flow: register, update the address (history
shown), grant and revoke a certificate, make a token, suspend (token refused), resume."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from traceapp.accounts.models import AUDITOR, OFFICE_STAFF, PRODUCER_OWNER
from traceapp.accounts.services import PersonInput, create_account
from traceapp.auth.models import ApiToken
from traceapp.auth.services import create_token
from traceapp.console.batch_log import LOG_PAGE
from traceapp.console.office import PAGE_SIZE
from traceapp.db.sessions import Database
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.models import PRODUCER_KINDS, PRODUCER_STATUSES, Producer
from traceapp.producers.services import ProducerInput, register_producer
from traceapp.products.models import Certification

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, People, csrf_of, post_form, sign_in

PASSWORD = "mật khẩu văn phòng 2026"
PAGE_BUDGET = 50 * 1024


def _person(database: Database, role: str, login: str, producer: str | None = None) -> None:
    with database.write() as s:
        create_account(s, role, producer, PersonInput("Lê Văn Nam", login, None, PASSWORD))


@pytest.fixture
def signed(app: Flask, database: Database, people: People) -> dict[str, FlaskClient]:
    """A signed-in client per role."""
    _person(database, OFFICE_STAFF, "canbo@ocop.example.vn")
    _person(database, AUDITOR, "kiemtoan@ocop.example.vn")
    _person(database, PRODUCER_OWNER, "chu@htx.example.vn", people.producer_a)
    clients = {}
    for role, login, password in (
        ("office_admin", ADMIN_EMAIL, ADMIN_PASSWORD),
        ("office_staff", "canbo@ocop.example.vn", PASSWORD),
        ("auditor", "kiemtoan@ocop.example.vn", PASSWORD),
        ("producer_owner", "chu@htx.example.vn", PASSWORD),
    ):
        client = app.test_client()
        assert sign_in(client, login, password).status_code == 303
        clients[role] = client
    return clients


def _post(client: FlaskClient, path: str, data: dict[str, str]) -> int:
    token = csrf_of(client.get("/console/account"))
    return client.post(path, data={**data, "csrf_token": token}).status_code


def _cert(database: Database) -> str:
    with database.read_sessions() as s:
        return s.execute(select(Certification.public_id)).scalars().first() or ""


def _token(database: Database) -> str:
    with database.read_sessions() as s:
        return (
            s.execute(select(ApiToken.public_id).where(ApiToken.revoked_at.is_(None)))
            .scalars()
            .first()
            or "tok_none"
        )


# (method, path, form, outcome per role: admin, staff, auditor, producer owner)
def _doors(
    people: People, database: Database
) -> list[tuple[str, str, dict[str, str], tuple[int, ...]]]:
    a = people.producer_a
    b = people.producer_b
    read = (200, 200, 200, 404)
    return [
        ("GET", "/console/office/", {}, read),
        ("GET", "/console/office/?province=lao+cai&name=ch%C3%A8", {}, read),
        ("GET", f"/console/office/producers/{a}", {}, read),
        ("GET", "/console/office/tokens", {}, read),
        ("GET", "/console/office/producers/new", {}, (200, 200, 403, 404)),
        ("GET", f"/console/office/producers/{a}/edit", {}, (200, 200, 403, 404)),
        ("GET", "/console/office/producers/pro_nonexistent", {}, (404, 404, 404, 404)),
        ("POST", "/console/office/invite", {"producer": b}, (200, 200, 403, 404)),
        (
            "POST",
            f"/console/office/producers/{b}/edit",
            {
                "name": "Hộ kinh doanh Mật ong Bạc Hà Lào Cai",
                "kind": "household_business",
                "taxCode": "",
                "gln": "",
                "province": "Lào Cai",
                "commune": "",
                "street": "",
                "recordedOn": "2025-08-01",
            },
            (303, 422, 403, 404),  # staff's second try changes nothing: refused as such
        ),
        (
            "POST",
            f"/console/office/producers/{a}/certifications",
            {
                "product": "",
                "scheme": "OCOP",
                "stars": "4",
                "issuer": "UBND tỉnh",
                "issuerLevel": "province",
                "decisionNumber": "1/QĐ",
                "issuedOn": "2026-01-05",
            },
            (422, 403, 403, 404),
        ),
        (
            "POST",
            f"/console/office/producers/{b}/tokens",
            {"label": "máy quét"},
            (200, 403, 403, 404),
        ),
        (
            "POST",
            f"/console/office/producers/{b}/suspend",
            {"reason": "Kiểm tra"},
            (200, 403, 403, 404),
        ),
        ("POST", f"/console/office/producers/{b}/resume", {}, (303, 403, 403, 404)),
    ]


def test_the_office_role_matrix(
    signed: dict[str, FlaskClient], people: People, database: Database
) -> None:
    roles = ("office_admin", "office_staff", "auditor", "producer_owner")
    seen, expected = {}, {}
    for method, path, form, outcomes in _doors(people, database):
        for role, outcome in zip(roles, outcomes, strict=True):
            client = signed[role]
            status = client.get(path).status_code if method == "GET" else _post(client, path, form)
            seen[(method, path, role)] = status
            expected[(method, path, role)] = outcome
    assert seen == expected
    cert = _cert(database)
    token = _token(database)
    for role, outcome in zip(roles, (303, 403, 403, 404), strict=True):
        if role != "office_admin":
            assert (
                _post(
                    signed[role], f"/console/office/certifications/{cert}/revoke", {"reason": "x"}
                )
                == outcome
            )
            assert _post(signed[role], f"/console/office/tokens/{token}/revoke", {}) == outcome
    # Producers see no office link, and the office pages fit a phone's budget.
    assert "/console/office/" not in signed["producer_owner"].get("/console/").get_data(
        as_text=True
    )
    for role in ("office_admin", "auditor"):
        page = signed[role].get(f"/console/office/producers/{people.producer_a}")
        assert len(page.get_data()) < PAGE_BUDGET


def test_office_admin_registers_updates_certifies_suspends_and_resumes(
    client: FlaskClient, people: People, database: Database
) -> None:
    assert sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
    response = post_form(
        client,
        "/console/office/producers/new",
        "/console/office/producers/new",
        {
            "kind": "cooperative",
            "name": "Hợp tác xã Sâm Ngọc Linh Trà Linh",
            "taxCode": "4000123456",
            "gln": "",
            "province": "Quảng Nam",
            "commune": "Xã Trà Linh",
            "street": "Thôn 1",
            "addressRecordedOn": "2024-05-01",
            "key": "console-register-1",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    page_path = response.headers["Location"].split("?")[0]
    # The list finds it typed without diacritics.
    listed = client.get("/console/office/?province=quang+nam").get_data(as_text=True)
    assert "Hợp tác xã Sâm Ngọc Linh Trà Linh" in listed and "1 chủ thể" in listed
    # A refusal shows next to its field, with the form as sent.
    refused = post_form(
        client,
        f"{page_path}/edit",
        f"{page_path}/edit",
        {
            "name": "  ",
            "kind": "cooperative",
            "taxCode": "4000123456",
            "gln": "",
            "province": "Quảng Nam",
            "commune": "Xã Trà Linh",
            "street": "Thôn 1",
            "recordedOn": "2024-05-01",
            "key": "console-edit-0",
        },
    )
    assert refused.status_code == 422 and 'id="e-name"' in refused.get_data(as_text=True)
    moved = post_form(
        client,
        f"{page_path}/edit",
        f"{page_path}/edit",
        {
            "name": "Hợp tác xã Sâm Ngọc Linh Trà Linh",
            "kind": "cooperative",
            "taxCode": "4000123456",
            "gln": "",
            "province": "Thành phố Đà Nẵng",
            "commune": "Xã Trà Linh",
            "street": "Thôn 1",
            "recordedOn": "2025-07-01",
            "key": "console-edit-1",
        },
    )
    assert moved.status_code == 303
    page = client.get(page_path).get_data(as_text=True)
    assert "Thành phố Đà Nẵng" in page
    history = page.split('id="history"', 1)[1]
    assert history.index("Cập nhật") < history.index("Đăng ký")  # newest first
    assert "Quảng Nam (2024-05-01)" in history and "Thành phố Đà Nẵng (2025-07-01)" in history

    # Certificates go on the scenario producer's product.
    a_page = f"/console/office/producers/{people.producer_a}"
    body = client.get(a_page).get_data(as_text=True)
    product = re.search(r'<option value="(prd_[^"]+)"', body)
    assert product
    granted = post_form(
        client,
        a_page,
        f"{a_page}/certifications",
        {
            "product": product.group(1),
            "scheme": "OCOP",
            "stars": "5",
            "issuer": "UBND tỉnh Lào Cai",
            "issuerLevel": "province",
            "decisionNumber": "5678/QĐ-UBND",
            "issuedOn": "2026-01-05",
            "validUntil": "",
            "key": "console-grant-1",
        },
    )
    assert granted.status_code == 303
    with database.read_sessions() as s:
        cert = s.execute(
            select(Certification).where(Certification.decision_number == "5678/QĐ-UBND")
        ).scalar_one()
    assert (cert.stars, cert.issuer_level, cert.valid_until) == (5, "province", date(2029, 1, 5))
    revoked = post_form(
        client,
        a_page,
        f"/console/office/certifications/{cert.public_id}/revoke",
        {"reason": "Sai số quyết định", "key": "console-revoke-1"},
    )
    assert revoked.status_code == 303
    assert "đã thu hồi" in client.get(a_page).get_data(as_text=True)

    made = post_form(client, page_path, f"{page_path}/tokens", {"label": "máy quét"})
    secret = re.search(r'id="secret">([^<]+)<', made.get_data(as_text=True))
    assert secret
    api = client.application.test_client()
    ask = {"query": "{ viewer { role } }"}
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert api.post("/graphql", json=ask, headers=headers).status_code == 200
    suspended = post_form(
        client,
        page_path,
        f"{page_path}/suspend",
        {"reason": "Kiểm tra hồ sơ", "key": "console-suspend-1"},
    )
    text = suspended.get_data(as_text=True)
    assert suspended.status_code == 200 and "1 mã API bị thu hồi" in text
    assert api.post("/graphql", json=ask, headers=headers).status_code == 401
    listed = client.get("/console/office/?status=suspended").get_data(as_text=True)
    assert "Hợp tác xã Sâm Ngọc Linh Trà Linh" in listed
    _totals_are_the_producers_counted(client, database)
    resumed = post_form(
        client, page_path, f"{page_path}/resume", {"reason": "", "key": "console-resume-1"}
    )
    assert resumed.status_code == 303
    page = client.get(page_path).get_data(as_text=True)
    assert "Cho hoạt động lại" in page.split('id="history"', 1)[1]
    assert 'id="suspended"' not in page


def _totals_are_the_producers_counted(client: FlaskClient, database: Database) -> None:
    """Without a name or place, the list's total is read from the statistics' roll-ups: it is
    the producers table's own count, for every kind and status (a suspension included)."""
    with database.read_sessions() as s:
        every = list(s.execute(select(Producer)).scalars())
    assert any(p.suspended_seq is not None for p in every)
    for kind in ("", *PRODUCER_KINDS):
        for status in ("", *PRODUCER_STATUSES):
            counted = sum(
                1
                for p in every
                if kind in ("", p.kind)
                and status in ("", "suspended" if p.suspended_seq else "active")
            )
            html = client.get(f"/console/office/?kind={kind}&status={status}").get_data(
                as_text=True
            )
            found = re.search(r'<p id="found">(\d+) ', html)
            assert found and found[1] == str(counted), (kind, status)


def test_office_tokens_are_paged_newest_first_with_an_older_link(
    signed: dict[str, FlaskClient], people: People, database: Database
) -> None:
    """Like the batch log: LOG_PAGE tokens a page, newest first, "older" by a keyset cursor,
    every token on exactly one page."""
    with database.write() as s:
        for n in range(LOG_PAGE + 7):
            create_token(s, "producer", people.producer_a, f"máy quét số {n}")
    with database.read_sessions() as s:
        every = list(s.execute(select(ApiToken.public_id).order_by(ApiToken.id.desc())).scalars())
    assert len(every) > LOG_PAGE
    client = signed["auditor"]
    path: str | None = "/console/office/tokens"
    pages: list[list[str]] = []
    while path is not None:
        html = client.get(path).get_data(as_text=True)
        pages.append(re.findall(r'id="token-([^"]+)"', html))
        older = re.search(r'rel="next" id="older" href="([^"]+)"', html)
        path = older.group(1).replace("&amp;", "&") if older else None
        if len(pages) > 1:
            assert 'href="/console/office/tokens">Mới nhất' in html
    assert [len(p) for p in pages[:-1]] == [LOG_PAGE] * (len(pages) - 1)
    assert [t for page in pages for t in page] == every
    assert f"máy quét số {LOG_PAGE + 6}" in client.get("/console/office/tokens").get_data(
        as_text=True
    )
    # An unknown cursor shows the newest page, not an error.
    unknown = client.get("/console/office/tokens?before=tok_unknown")
    assert re.findall(r'id="token-([^"]+)"', unknown.get_data(as_text=True)) == every[:LOG_PAGE]


def _listed(html: str) -> list[str]:
    return re.findall(r'href="/console/office/producers/([^"]+)"', html.split('id="found"')[1])


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" id="\w+" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_office_producers_are_paged_by_name_with_keyset_cursors(
    signed: dict[str, FlaskClient],
    people: People,
    database: Database,
    ledger: Ledger,
    admin: str,
) -> None:
    """PAGE_SIZE producers a page in name order (ties by registration), "next" and "previous"
    by a keyset cursor that keeps the filters: walked forward and back, every producer is on
    exactly one page, the same pages both ways; an unknown cursor shows the first page."""
    with database.write() as s:
        for n in range(2 * PAGE_SIZE + 9):
            register_producer(
                s,
                ledger,
                admin,
                ProducerInput(
                    kind=("cooperative", "enterprise")[n % 2],
                    name=f"Hợp tác xã Chè số {n % 17}",  # names repeat: ties
                    province="Lào Cai",
                    address_recorded_on=date(2025, 8, 1),
                ),
            )
    with database.read_sessions() as s:
        every = list(
            s.execute(select(Producer.public_id).order_by(Producer.name_key, Producer.id)).scalars()
        )
        coops = list(
            s.execute(
                select(Producer.public_id)
                .where(Producer.kind == "cooperative")
                .order_by(Producer.name_key, Producer.id)
            ).scalars()
        )
    client = signed["auditor"]
    for first, expected in (
        ("/console/office/", every),
        ("/console/office/?kind=cooperative", coops),
    ):
        pages: list[list[str]] = []
        path: str | None = first
        html = ""
        while path is not None:
            html = client.get(path).get_data(as_text=True)
            pages.append(_listed(html))
            path = _link(html, "next")
            if path and "kind=cooperative" in first:
                assert "kind=cooperative" in path
        assert [len(p) for p in pages[:-1]] == [PAGE_SIZE] * (len(pages) - 1)
        assert [p for page in pages for p in page] == expected
        back: list[list[str]] = [pages[-1]]
        path = _link(html, "prev")
        while path is not None:
            html = client.get(path).get_data(as_text=True)
            back.append(_listed(html))
            path = _link(html, "prev")
        assert back[::-1] == pages
        assert 'id="first"' in html or len(pages) == 1
    unknown = client.get("/console/office/?after=prd_unknown").get_data(as_text=True)
    assert _listed(unknown) == every[:PAGE_SIZE]
    # Before the first producer there is nothing: the first page again.
    assert (
        _listed(client.get(f"/console/office/?before={every[0]}").get_data(as_text=True))
        == (every[:PAGE_SIZE])
    )
