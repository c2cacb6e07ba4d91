"""Console fixtures: two producers, an office admin, and a browser-like client that keeps
cookies and reads each form's CSRF token from the page it came from."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

import pytest
from flask.testing import FlaskClient
from support.scenario import Scenario
from werkzeug.test import TestResponse

from traceapp.accounts.models import OFFICE_ADMIN, Account
from traceapp.accounts.services import PersonInput, create_account
from traceapp.db.sessions import Database
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.services import ProducerInput, register_producer

ADMIN_EMAIL = "vanphong@ocop.example.vn"
ADMIN_PASSWORD = "Văn phòng OCOP 2026!"
OWNER_PASSWORD = "chè shan tuyết bản mế"
STAFF_PASSWORD = "nhân viên đóng gói 7"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r'id="invitation-link">([^<]+)<')


def csrf_of(response: TestResponse) -> str:
    found = _CSRF.search(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:500]
    return found.group(1)


def post_form(client: FlaskClient, page: str, action: str, data: dict[str, str]) -> TestResponse:
    """What a browser does: open ``page``, then send its form to ``action`` with the token."""
    token = csrf_of(client.get(page))
    return client.post(action, data={**data, "csrf_token": token})


def sign_in(client: FlaskClient, login: str, password: str) -> TestResponse:
    return post_form(
        client, "/console/login", "/console/login", {"login": login, "password": password}
    )


def invitation_token(response: TestResponse) -> str:
    found = _LINK.search(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:800]
    return html.unescape(found.group(1)).rsplit("/", 1)[1]


def accept(client: FlaskClient, token: str, name: str, email: str, password: str) -> TestResponse:
    page = f"/console/invitation/{token}"
    return post_form(client, page, page, {"name": name, "email": email, "password": password})


@dataclass
class People:
    producer_a: str
    producer_b: str
    admin: Account


@pytest.fixture
def people(database: Database, ledger: Ledger, admin: str, scenario: Scenario) -> People:
    return make_people(database, ledger, admin, scenario)


def make_people(database: Database, ledger: Ledger, admin: str, scenario: Scenario) -> People:
    """Producer A is the shared tea cooperative; B a household business; one office admin."""
    with database.write() as s:
        producer_b = register_producer(
            s,
            ledger,
            admin,
            ProducerInput(
                kind="household_business",
                name="Hộ kinh doanh Mật ong Bạc Hà",
                province="Lào Cai",
                address_recorded_on=date(2025, 8, 1),
            ),
        ).public_ids[0]
        account = create_account(
            s, OFFICE_ADMIN, None, PersonInput("Trần Thị Lan", ADMIN_EMAIL, None, ADMIN_PASSWORD)
        )
    return People(scenario.producer, producer_b, account)


def invite_owner(client: FlaskClient, producer: str) -> str:
    """As the signed-in admin: the one-time token of an owner's invitation."""
    response = post_form(
        client, "/console/office/", "/console/office/invite", {"producer": producer}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    return invitation_token(response)


def owner_of(client: FlaskClient, people: People, producer: str, email: str) -> None:
    """Admin invites, the owner accepts: ``client`` ends signed in as that owner."""
    assert sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
    token = invite_owner(client, producer)
    client.post("/console/logout", data={"csrf_token": csrf_of(client.get("/console/account"))})
    response = accept(client, token, "Nguyễn Văn Hùng", email, OWNER_PASSWORD)
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
