"""Sessions, cookies, CSRF and sign-in limits of the console, on both engines."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from traceapp.accounts.models import AccountSession, SignIn
from traceapp.accounts.services import suspend_producer_accounts
from traceapp.accounts.sessions import ACCOUNT_FAILURES, CLIENT_FAILURES
from traceapp.db.sessions import Database

from .conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    OWNER_PASSWORD,
    People,
    csrf_of,
    owner_of,
    post_form,
    sign_in,
)


def _session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("ocop_session", path="/console")
    return cookie.value if cookie else None


def test_cookie_is_secure_httponly_lax_and_scoped(client: FlaskClient, people: People) -> None:
    response = sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    header = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("ocop_session=")
    )
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    assert "Path=/console" in header
    page = client.get("/console/")
    assert page.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_session_id_is_new_at_every_sign_in(client: FlaskClient, people: People) -> None:
    """Session fixation: an ID the browser held before signing in never becomes a session."""
    client.set_cookie("ocop_session", "planted-by-an-attacker", path="/console")
    sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    first = _session_cookie(client)
    assert first and first != "planted-by-an-attacker"
    # Signed in already, signing in again (the form of another tab): a new ID again.
    credentials = {"login": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    assert post_form(client, "/console/account", "/console/login", credentials).status_code == 303
    second = _session_cookie(client)
    assert second and second != first
    stale = client.application.test_client()
    stale.set_cookie("ocop_session", first, path="/console")
    assert stale.get("/console/").status_code == 302  # the old ID was ended
    assert client.get("/console/").status_code == 200


def test_post_without_a_valid_csrf_token_is_refused(
    client: FlaskClient, people: People, database: Database
) -> None:
    client.get("/console/login")
    refused = client.post("/console/login", data={"login": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert refused.status_code == 400
    assert _session_cookie(client) is None
    sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    for data in ({}, {"csrf_token": "x" * 43}):
        answer = client.post("/console/account/sign-out-everywhere", data=data)
        assert answer.status_code == 400
        assert "Biểu mẫu đã hết hạn" in answer.get_data(as_text=True)
    # Another browser's token does not fit this session either.
    other = client.application.test_client()
    sign_in(other, ADMIN_EMAIL, ADMIN_PASSWORD)
    foreign = csrf_of(other.get("/console/account"))
    assert client.post("/console/logout", data={"csrf_token": foreign}).status_code == 400
    assert client.get("/console/").status_code == 200  # nothing was done


def test_sign_out_and_sign_out_everywhere(app: Flask, people: People, database: Database) -> None:
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, ADMIN_EMAIL, ADMIN_PASSWORD)
    sign_in(laptop, ADMIN_EMAIL, ADMIN_PASSWORD)
    out = post_form(phone, "/console/account", "/console/account/sign-out-everywhere", {})
    assert out.status_code == 303 and out.headers["Location"].startswith("/console/login")
    for browser in (phone, laptop):
        assert browser.get("/console/").status_code == 302
    with database.read_sessions() as s:
        live = s.execute(select(AccountSession).where(AccountSession.revoked_at.is_(None))).all()
    assert live == []
    sign_in(phone, ADMIN_EMAIL, ADMIN_PASSWORD)
    post_form(phone, "/console/account", "/console/logout", {})
    assert phone.get("/console/account").status_code == 302


def test_wrong_passwords_lock_the_account_with_a_clear_message(
    client: FlaskClient, people: People, database: Database
) -> None:
    for _ in range(ACCOUNT_FAILURES):
        wrong = sign_in(client, ADMIN_EMAIL, "not the password at all")
        assert wrong.status_code == 401
        assert "Sai email, số điện thoại hoặc mật khẩu." in wrong.get_data(as_text=True)
    locked = sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 800
    assert "Tài khoản tạm khóa" in locked.get_data(as_text=True)
    with database.read_sessions() as s:
        trail = s.execute(select(SignIn.success, SignIn.reason, SignIn.client)).all()
    assert [r.reason for r in trail] == ["wrong"] * ACCOUNT_FAILURES + ["locked"]
    assert all(not r.success and len(r.client) == 16 for r in trail)


def test_one_client_failing_too_often_is_refused(
    app: Flask, people: People, database: Database
) -> None:
    client = app.test_client()
    for n in range(CLIENT_FAILURES):
        assert sign_in(client, f"nobody{n}@example.vn", "whatever it is").status_code == 401
    refused = sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert refused.status_code == 429
    assert "Thiết bị này đã đăng nhập sai quá nhiều lần" in refused.get_data(as_text=True)


def test_account_page_lists_own_sign_ins_and_changes_password(app: Flask, people: People) -> None:
    client, other = app.test_client(), app.test_client()
    sign_in(client, ADMIN_EMAIL, "a wrong password")
    sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    sign_in(other, ADMIN_EMAIL, ADMIN_PASSWORD)
    page = client.get("/console/account").get_data(as_text=True)
    assert page.count("Thành công") == 2 and page.count("Thất bại") == 1
    bad = post_form(
        client,
        "/console/account",
        "/console/account/password",
        {"current": "not it at all", "new": "một mật khẩu mới dài"},
    )
    assert bad.status_code == 422 and "Mật khẩu hiện tại không đúng." in bad.get_data(as_text=True)
    good = post_form(
        client,
        "/console/account",
        "/console/account/password",
        {"current": ADMIN_PASSWORD, "new": "một mật khẩu mới dài"},
    )
    assert good.status_code == 303
    assert client.get("/console/").status_code == 200  # this session stays
    assert other.get("/console/").status_code == 302  # the others end
    assert sign_in(other, ADMIN_EMAIL, "một mật khẩu mới dài").status_code == 303


def test_suspending_a_producer_ends_its_members_sessions(
    app: Flask, people: People, database: Database
) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "hung@example.vn")
    assert owner.get("/console/").status_code == 200
    with database.write() as s:
        assert suspend_producer_accounts(s, people.producer_a) == 1
    assert owner.get("/console/").status_code == 302
    refused = sign_in(owner, "hung@example.vn", OWNER_PASSWORD)
    assert refused.status_code == 401
    assert "Tài khoản đã bị tạm dừng" in refused.get_data(as_text=True)
    # The other producer and the office are untouched.
    office = app.test_client()
    assert sign_in(office, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303


def test_next_never_leaves_the_console(client: FlaskClient, people: People) -> None:
    token = csrf_of(client.get("/console/login"))
    response = client.post(
        "/console/login",
        data={
            "login": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
            "next": "//evil.example/x",
            "csrf_token": token,
        },
    )
    assert response.headers["Location"] == "/console/"


def test_passkey_endpoints_check_csrf_and_refuse_junk(
    client: FlaskClient, people: People, database: Database
) -> None:
    token = csrf_of(client.get("/console/login"))
    assert client.post("/console/passkeys/login/options").status_code == 400
    options = client.post("/console/passkeys/login/options", headers={"X-CSRF-Token": token})
    assert options.status_code == 200
    body = options.get_json()
    assert body["rpId"] == "truyxuat.ocop.example.vn" and len(body["challenge"]) >= 43
    junk = client.post(
        "/console/passkeys/login",
        headers={"X-CSRF-Token": token},
        data='{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}',
    )
    assert junk.status_code == 401 and "khóa đăng nhập" in junk.get_json()["error"]
    with database.read_sessions() as s:
        assert s.execute(select(SignIn.reason)).scalars().all() == ["passkey_wrong"]
    # Registering needs a signed-in member.
    assert (
        client.post(
            "/console/passkeys/register/options", headers={"X-CSRF-Token": token}
        ).status_code
        == 302
    )
