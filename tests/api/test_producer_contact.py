"""updateProducerContact: the producer's public business contact, on the ledger and the page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from support.scenario import Scenario

from traceapp.batches.models import Batch, Item
from traceapp.db.sessions import Database
from traceapp.ledger_store.models import LedgerEntry
from traceapp.producers.contact import phone_number
from traceapp.producers.errors import ProducerInvalid
from traceapp.producers.models import Producer

from .conftest import Gql, global_id

UPDATE = """mutation($input: UpdateProducerContactInput!) { updateProducerContact(input: $input) {
  producer { id name publicContact { phone zalo website address } }
  ledgerIndex replayed userErrors { field message code } } }"""
CONTACT = {
    "phone": "0912 345 678",
    "zalo": "+84 912.345.678",
    "website": "https://htx-banme.example.vn/tra",
    "address": "Thôn Na Pá, Xã Bản Mế, Lào Cai",
}


def _publish(gql: Gql, token: str | None, producer: str, **values: Any) -> dict[str, Any]:
    variables = {"input": {"producer": global_id("Producer", producer), **values}}
    result = gql(UPDATE, variables, token=token)
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"]["updateProducerContact"]
    return payload


def _size(database: Database) -> int:
    with database.read_sessions() as s:
        return int(s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())


def _item_path(database: Database, scenario: Scenario) -> str:
    with database.read_sessions() as s:
        lot, serial = s.execute(
            select(Batch.lot, Item.serial)
            .join(Batch, Item.batch_id == Batch.id)
            .where(Item.public_id == scenario.items[0])
        ).one()
    return f"/01/08938505974019/10/{lot}/21/{serial}"


def test_producer_publishes_its_contact(
    gql: Gql,
    scenario: Scenario,
    tokens: dict[str, str | None],
    database: Database,
    client: FlaskClient,
) -> None:
    payload = _publish(gql, tokens["producer"], scenario.producer, **CONTACT)
    assert payload["userErrors"] == []
    assert payload["producer"]["publicContact"] == {
        "phone": "0912345678",
        "zalo": "0912345678",
        "website": "https://htx-banme.example.vn/tra",
        "address": "Thôn Na Pá, Xã Bản Mế, Lào Cai",
    }
    # The statement: the public contact in clear, and no personal field.
    with database.read_sessions() as s:
        entry = s.execute(
            select(LedgerEntry.entry).where(LedgerEntry.seq == payload["ledgerIndex"])
        ).scalar_one()
    parsed = json.loads(entry)
    assert parsed["type"] == "producer.contact_published"
    assert parsed["statement"] == {
        "id": scenario.producer,
        "contact": payload["producer"]["publicContact"],
    }
    # On the page: a tel: link, a Zalo chat link, the website; proven like every shown entry.
    html = client.get(_item_path(database, scenario), headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    assert 'href="tel:0912345678"' in html
    assert 'href="https://zalo.me/0912345678"' in html
    assert 'href="https://htx-banme.example.vn/tra"' in html
    assert f'data-seq="{payload["ledgerIndex"]}"' in html  # in the proof list
    assert "Thông tin liên hệ công khai" in html
    # The personal phone of the owner stays off the page (it is the same number here only by
    # chance of the scenario: the owner's name is the tell).
    assert "Nguyễn Văn Hùng" not in html
    # The bundle carries the contact's entry.
    bundle = client.get("/ledger/bundle" + _item_path(database, scenario)).get_json()
    assert payload["ledgerIndex"] in {e["index"] for e in bundle["entries"]}


def test_admin_may_publish_and_withdraw(
    gql: Gql, scenario: Scenario, tokens: dict[str, str | None], database: Database
) -> None:
    assert _publish(gql, tokens["admin"], scenario.producer, **CONTACT)["userErrors"] == []
    withdrawn = _publish(gql, tokens["admin"], scenario.producer)
    assert withdrawn["userErrors"] == [] and withdrawn["producer"]["publicContact"] is None
    with database.read_sessions() as s:
        row = s.execute(
            select(Producer).where(Producer.public_id == scenario.producer)
        ).scalar_one()
        assert row.contact_seq == withdrawn["ledgerIndex"] and row.contact_phone is None


@pytest.mark.parametrize(
    "values, field",
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "0112345678"}, "phone"),
        ({"zalo": "0241234567"}, "zalo"),  # a landline has no Zalo
        ({"website": "javascript:alert(1)"}, "website"),
        ({"website": "ftp://example.vn/"}, "website"),
        ({"website": "https://user:pw@example.vn/"}, "website"),
        ({"website": "https://" + "a" * 300 + ".vn"}, "website"),
        ({"address": "x" * 301}, "address"),
        ({"address": "Thôn\u200bNa Pá"}, "address"),
    ],
)
def test_bad_contact_is_refused_and_changes_nothing(
    gql: Gql,
    scenario: Scenario,
    tokens: dict[str, str | None],
    database: Database,
    values: dict[str, str],
    field: str,
) -> None:
    before = _size(database)
    payload = _publish(gql, tokens["producer"], scenario.producer, **values)
    assert [e["field"] for e in payload["userErrors"]] == [field]
    assert payload["ledgerIndex"] is None and _size(database) == before


def test_only_the_producer_or_an_admin(
    gql: Gql, scenario: Scenario, tokens: dict[str, str | None], database: Database
) -> None:
    before = _size(database)
    anonymous = gql(
        UPDATE,
        {"input": {"producer": global_id("Producer", scenario.producer), **CONTACT}},
        token=tokens["auditor"],
    )
    assert anonymous.get("errors") or anonymous["data"]["updateProducerContact"]["userErrors"]
    assert _size(database) == before


@pytest.mark.parametrize(
    "raw, national",
    [
        ("0912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84-912-345-678", "0912345678"),
        ("(024) 3825 1234", "02438251234"),
        ("1900 1234", "19001234"),
        ("1800.123.456", "1800123456"),
    ],
)
def test_vietnamese_phone_forms(raw: str, national: str) -> None:
    assert phone_number(raw, "phone") == national


def test_mobile_only_for_zalo() -> None:
    with pytest.raises(ProducerInvalid):
        phone_number("1900 1234", "zalo", mobile_only=True)


def test_rebuild_and_deep_verify_keep_the_contact(
    gql: Gql,
    scenario: Scenario,
    tokens: dict[str, str | None],
    app: Flask,
    runner: FlaskCliRunner,
) -> None:
    _publish(gql, tokens["producer"], scenario.producer, **CONTACT)
    verified = runner.invoke(args=["ledger", "verify", "--deep"])
    assert verified.exit_code == 0, verified.output
    rebuilt = runner.invoke(args=["ledger", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    verified = runner.invoke(args=["ledger", "verify", "--deep"])
    assert verified.exit_code == 0, verified.output
