"""A producer owner's API tokens in the console, on both engines: created with a label and the
secret shown once (only its hash kept), listed, revoked (refused at once); staff and another
producer's owner see 404."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from traceapp.auth.models import ApiToken
from traceapp.auth.services import authenticate, token_hash
from traceapp.db.sessions import Database

from .conftest import STAFF_PASSWORD, People, csrf_of, invitation_token, owner_of, post_form


def test_owner_creates_lists_and_revokes_a_token(
    app: Flask, people: People, database: Database
) -> None:
    owner = app.test_client()
    owner_of(owner, people, people.producer_a, "hung@example.vn")
    assert "Khóa API" in owner.get("/console/").get_data(as_text=True)
    too_long = post_form(owner, "/console/tokens", "/console/tokens", {"label": "x" * 201})
    assert too_long.status_code == 422
    assert "tối đa 200 ký tự" in too_long.get_data(as_text=True)
    assert 'value="' + "x" * 201 + '"' in too_long.get_data(as_text=True)
    made = post_form(owner, "/console/tokens", "/console/tokens", {"label": "Phần mềm kho"})
    page = made.get_data(as_text=True)
    assert made.status_code == 200 and "chỉ hiện một lần" in page
    secret = page.split('id="secret">', 1)[1].split("<", 1)[0]
    with database.read_sessions() as s:
        stored = s.execute(select(ApiToken)).scalar_one()
        principal = authenticate(s, secret)
    assert stored.label == "Phần mềm kho" and stored.token_hash == token_hash(secret)
    assert principal is not None and principal.producer == people.producer_a
    listed = owner.get("/console/tokens").get_data(as_text=True)
    assert "Phần mềm kho" in listed and secret not in listed  # shown once
    revoke = f"/console/tokens/{stored.public_id}/revoke"
    done = post_form(owner, "/console/tokens", revoke, {})
    assert done.status_code == 303
    with database.read_sessions() as s:
        assert authenticate(s, secret) is None
    assert "đã thu hồi" in owner.get("/console/tokens").get_data(as_text=True)
    again = post_form(owner, "/console/tokens", revoke, {})
    assert again.status_code == 422 and "đã được thu hồi" in again.get_data(as_text=True)


def test_staff_and_other_producers_cannot_touch_tokens(
    app: Flask, people: People, database: Database
) -> None:
    owner_a = app.test_client()
    owner_of(owner_a, people, people.producer_a, "a@example.vn")
    post_form(owner_a, "/console/tokens", "/console/tokens", {"label": "A"})
    with database.read_sessions() as s:
        token = s.execute(select(ApiToken)).scalar_one()
    owner_b = app.test_client()
    owner_of(owner_b, people, people.producer_b, "b@example.vn")
    theirs = owner_b.get("/console/tokens").get_data(as_text=True)
    assert token.public_id not in theirs and "Chưa có khóa nào" in theirs
    revoke = f"/console/tokens/{token.public_id}/revoke"
    assert post_form(owner_b, "/console/tokens", revoke, {}).status_code == 404
    invited = post_form(owner_a, "/console/staff", "/console/staff/invite", {})
    staff = app.test_client()
    page = f"/console/invitation/{invitation_token(invited)}"
    post_form(
        staff, page, page, {"name": "Mai", "phone": "0912 000 111", "password": STAFF_PASSWORD}
    )
    assert staff.get("/console/tokens").status_code == 404
    token_now = csrf_of(staff.get("/console/account"))
    assert staff.post(revoke, data={"csrf_token": token_now}).status_code == 404
    with database.read_sessions() as s:
        assert s.execute(select(ApiToken.revoked_at)).scalar_one() is None
