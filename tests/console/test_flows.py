"""The console's invitation flow end to end, on both engines: the office invites an owner, the
owner accepts, sees the overview, invites staff; staff cannot invite; another producer's pages
answer 404."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from traceapp.accounts.models import PRODUCER_OWNER, PRODUCER_STAFF, Account, Invitation
from traceapp.db.sessions import Database

from .conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    OWNER_PASSWORD,
    STAFF_PASSWORD,
    People,
    accept,
    csrf_of,
    invitation_token,
    owner_of,
    post_form,
    sign_in,
)

PAGE_BUDGET = 50 * 1024


def _account(database: Database, login: str) -> Account:
    with database.read_sessions() as s:
        return s.execute(select(Account).where(Account.login == login)).scalar_one()


def test_office_invites_owner_who_accepts_and_sees_the_overview(
    client: FlaskClient, people: People, database: Database
) -> None:
    assert sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).headers["Location"] == "/console/"
    office = client.get("/console/office/")
    assert "Hợp tác xã Chè Shan Tuyết Bản Mế" in office.get_data(as_text=True)
    response = post_form(
        client, "/console/office/", "/console/office/invite", {"producer": people.producer_a}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'src="data:image/png;base64,' in page  # the QR code, inline: no other request
    token = invitation_token(response)
    link = f"https://truyxuat.ocop.example.vn/console/invitation/{token}"
    assert link in page
    with database.read_sessions() as s:
        stored = s.execute(select(Invitation)).scalar_one()
    assert token.encode() not in stored.token_hash and len(stored.token_hash) == 32
    assert (stored.expires_at - stored.created_at).days == 7

    other = client.application.test_client()
    opened = other.get(f"/console/invitation/{token}")
    assert "Hợp tác xã Chè Shan Tuyết Bản Mế" in opened.get_data(as_text=True)
    weak = accept(other, token, "Nguyễn Văn Hùng", "hung@example.vn", "password123")
    assert weak.status_code == 422
    assert "quá phổ biến" in weak.get_data(as_text=True)
    done = accept(other, token, "Nguyễn Văn Hùng", "Hung@Example.vn", OWNER_PASSWORD)
    assert done.status_code == 303 and done.headers["Location"] == "/console/"
    overview = other.get("/console/").get_data(as_text=True)
    assert "Xin chào, Nguyễn Văn Hùng" in overview
    assert 'id="products">1<' in overview
    assert 'id="items-issued">' in overview and 'id="items-issued">0<' not in overview
    owner = _account(database, "hung@example.vn")
    assert owner.role == PRODUCER_OWNER and owner.producer_public_id == people.producer_a
    # The link is used up: a second use, from anyone, finds nothing.
    assert client.get(f"/console/invitation/{token}").status_code == 404
    # The owner signs in again with what they chose.
    third = client.application.test_client()
    assert sign_in(third, "hung@example.vn", OWNER_PASSWORD).status_code == 303


def test_owner_invites_staff_and_staff_cannot_invite(
    app: Flask, people: People, database: Database
) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "hung@example.vn")
    staff_page = owner.get("/console/staff")
    assert staff_page.status_code == 200
    invited = post_form(owner, "/console/staff", "/console/staff/invite", {})
    assert invited.status_code == 200
    token = invitation_token(invited)

    staff = app.test_client()
    assert accept(staff, token, "Lò Thị Mai", "0912 000 111", STAFF_PASSWORD).status_code == 422
    page = f"/console/invitation/{token}"
    done = post_form(
        staff,
        page,
        page,
        {"name": "Lò Thị Mai", "phone": "0912 000 111", "password": STAFF_PASSWORD},
    )
    assert done.status_code == 303
    member = _account(database, "0912000111")
    assert member.role == PRODUCER_STAFF and member.producer_public_id == people.producer_a
    overview = staff.get("/console/").get_data(as_text=True)
    assert "Lò Thị Mai" in overview and "/console/staff" not in overview
    assert staff.get("/console/staff").status_code == 404
    token_now = csrf_of(staff.get("/console/account"))
    assert staff.post("/console/staff/invite", data={"csrf_token": token_now}).status_code == 404
    assert staff.get("/console/office/").status_code == 404
    with database.read_sessions() as s:
        assert (
            s.execute(select(Invitation).where(Invitation.invited_by == member.id)).first() is None
        )
    # The owner sees the new member in the list.
    assert "Lò Thị Mai" in owner.get("/console/staff").get_data(as_text=True)


def test_another_producers_objects_are_not_found(
    app: Flask, people: People, database: Database
) -> None:
    owner_a = app.test_client()
    owner_of(owner_a, people, people.producer_a, "a@example.vn")
    owner_b = app.test_client()
    owner_of(owner_b, people, people.producer_b, "b@example.vn")
    member_a = _account(database, "a@example.vn")
    member_b = _account(database, "b@example.vn")
    assert owner_a.get(f"/console/staff/{member_a.public_id}").status_code == 200
    mine = owner_b.get(f"/console/staff/{member_b.public_id}")
    assert mine.status_code == 200
    theirs = owner_b.get(f"/console/staff/{member_a.public_id}")
    missing = owner_b.get("/console/staff/acc_00000000000000")
    assert theirs.status_code == missing.status_code == 404
    # Nothing tells the two apart but the path each page echoes in its language switch.
    echoed = theirs.get_data(as_text=True).replace(member_a.public_id, "acc_00000000000000")
    assert echoed == missing.get_data(as_text=True)
    # B's overview counts B's objects only (A has the scenario's product).
    assert 'id="products">0<' in owner_b.get("/console/").get_data(as_text=True)


def signed_out_page(client: FlaskClient) -> TestResponse:
    """The sign-in page, as a browser that is not signed in sees it."""
    return client.application.test_client().get("/console/login")


def test_pages_are_small_and_speak_both_languages(app: Flask, people: People) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "hung@example.vn")
    # HTML, CSS and the one script (passkeys) together, before images.
    assets = len(owner.get("/static/console.css").get_data())
    assets += len(owner.get("/static/console-passkeys.js").get_data())
    for path in ("/console/", "/console/account", "/console/staff", "/console/login"):
        response = owner.get(path) if path != "/console/login" else signed_out_page(owner)
        assert response.status_code == 200
        assert len(response.get_data()) + assets <= PAGE_BUDGET, path
        assert '<html lang="vi">' in response.get_data(as_text=True)
        assert "http://" not in response.get_data(as_text=True)
    english = app.test_client()
    page = english.get("/console/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.get_data(as_text=True) and "Sign in" in page.get_data(
        as_text=True
    )
    # The owner's own setting wins over the browser's language.
    post_form(owner, "/console/account", "/console/language", {"lang": "en", "next": "/console/"})
    page = owner.get("/console/", headers={"Accept-Language": "vi"})
    assert '<html lang="en">' in page.get_data(as_text=True)
    assert "Hello, Nguyễn Văn Hùng" in page.get_data(as_text=True)
