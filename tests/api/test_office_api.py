"""The office over GraphQL: filters that accept Vietnamese with or without diacritics, the
expiry and stars filters of ``certifications``, ``updateProducer`` with its history, and
``suspendProducer``/``resumeProducer`` refusing the producer's writes with a typed error."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select, update
from support.scenario import Scenario

from ledger.entry import parse_entry
from ledger.signing import Signer
from traceapp.accounts.office import suspend_producer
from traceapp.db.sessions import Database
from traceapp.events.models import Event
from traceapp.i18n import vietnam_today
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.service import WriteRequest
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.services import ProducerInput, producer_key, register_producer
from traceapp.products.models import Product
from traceapp.products.services import (
    CertificationInput,
    ProductInput,
    grant_certification,
    register_product,
)

from .conftest import Gql, global_id, operation

Tokens = dict[str, str | None]
EPCIS_EXAMPLE = (
    Path(__file__).parent.parent
    / "fixtures"
    / "epcis"
    / "examples"
    / "Example_9.6.1-ObjectEvent.jsonld"
)


def _names(result: dict[str, Any]) -> list[str]:
    assert "errors" not in result, result
    return [e["node"]["name"] for e in result["data"]["producers"]["edges"]]


@pytest.fixture
def quang_nam(database: Database, ledger: Ledger, admin: str) -> str:
    with database.write() as s:
        return register_producer(
            s,
            ledger,
            admin,
            ProducerInput(
                kind="cooperative",
                name="Hợp tác xã Sâm Ngọc Linh Trà Linh",
                province="Quảng Nam",
                commune="Xã Trà Linh",
                address_recorded_on=date(2024, 5, 1),
            ),
        ).public_ids[0]


@pytest.mark.parametrize(
    "filters",
    [
        {"province": "Quảng Nam"},
        {"province": "Quang Nam"},
        {"province": "quảng nam"},
        {"province": "  QUANG   NAM "},
        {"commune": "xa tra linh"},
        {"name": "sâm ngọc linh"},
        {"name": "SAM NGOC"},
        {"province": "quang nam", "name": "tra linh", "status": "ACTIVE"},
    ],
)
def test_filters_accept_vietnamese_with_or_without_diacritics(
    gql: Gql, quang_nam: str, scenario: Scenario, filters: dict[str, str]
) -> None:
    result = gql(operation("office"), filters, None, "ProducersSearch")
    assert _names(result) == ["Hợp tác xã Sâm Ngọc Linh Trà Linh"]


def test_filters_that_match_nothing_and_wildcards_find_nothing(
    gql: Gql, quang_nam: str, scenario: Scenario
) -> None:
    for filters in ({"province": "Quảng Ngãi"}, {"name": "%"}, {"status": "SUSPENDED"}):
        assert _names(gql(operation("office"), filters, None, "ProducersSearch")) == []
    # A province matches whole: "Nam" is not "Quảng Nam".
    assert _names(gql(operation("office"), {"province": "nam"}, None, "ProducersSearch")) == []


def test_certifications_expiring_within_days_and_stars(
    gql: Gql, database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    today = vietnam_today()
    ends = {"10/QĐ": 10, "80/QĐ": 80, "200/QĐ": 200}
    with database.write() as s:
        for number, days in ends.items():
            grant_certification(
                s,
                ledger,
                admin,
                CertificationInput(
                    scenario.product,
                    "OCOP",
                    "UBND tỉnh Lào Cai",
                    number,
                    today - timedelta(days=800),
                    stars=5 if days == 80 else 4,
                    issuer_level="province",
                    valid_until=today + timedelta(days=days),
                ),
            )

    def numbers(variables: dict[str, Any]) -> set[str]:
        result = gql(operation("office"), variables, None, "ExpiringCertificates")
        assert "errors" not in result, result
        edges = result["data"]["certifications"]["edges"]
        return {e["node"]["decisionNumber"] for e in edges}

    assert numbers({"days": 30}) == {"10/QĐ"}
    assert numbers({"days": 90}) == {"10/QĐ", "80/QĐ"}
    assert numbers({"days": 90, "stars": 5}) == {"80/QĐ"}
    assert numbers({"days": 365}) >= {"10/QĐ", "80/QĐ", "200/QĐ"}
    for bad in ({"days": -1}, {"days": 90, "stars": 7}):
        result = gql(operation("office"), bad, None, "ExpiringCertificates")
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", result


def test_update_producer_moves_the_address_and_keeps_the_old_one_on_the_ledger(
    gql: Gql, quang_nam: str, tokens: Tokens
) -> None:
    result = gql(
        operation("office"),
        {
            "input": {
                "producer": global_id("Producer", quang_nam),
                "address": {
                    "province": "Thành phố Đà Nẵng",
                    "commune": "Xã Trà Linh",
                    "recordedOn": "2025-07-01",
                },
            }
        },
        tokens["admin"],
        "UpdateProducer",
    )["data"]["updateProducer"]
    assert result["userErrors"] == []
    producer = result["producer"]
    assert (producer["province"], producer["addressRecordedOn"]) == (
        "Thành phố Đà Nẵng",
        "2025-07-01",
    )
    assert producer["updatedLedgerIndex"] == result["ledgerIndex"]
    found = gql(operation("office"), {"province": "da nang"}, None, "ProducersSearch")
    assert _names(found) == ["Hợp tác xã Sâm Ngọc Linh Trà Linh"]
    assert (
        _names(gql(operation("office"), {"province": "quang nam"}, None, "ProducersSearch")) == []
    )
    refused = gql(
        operation("office"),
        {"input": {"producer": global_id("Producer", quang_nam), "name": "  "}},
        tokens["admin"],
        "UpdateProducer",
    )["data"]["updateProducer"]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [("name", "INVALID")]


def test_suspension_refuses_the_producers_token_and_keys_until_resumed(
    gql: Gql, database: Database, scenario: Scenario, tokens: Tokens
) -> None:
    producer = global_id("Producer", scenario.producer)
    new_location = """mutation($input: RegisterLocationInput!) {
      registerLocation(input: $input) { userErrors { field message code } } }"""

    def location(token: str | None, code: str, **extra: Any) -> dict[str, Any]:
        variables = {
            "input": {
                "producer": producer,
                "code": code,
                "name": "Kho",
                "kind": "WAREHOUSE",
                **extra,
            }
        }
        return gql(new_location, variables, token)

    suspended = gql(
        operation("office"),
        {"input": {"producer": producer, "reason": "Kiểm tra hồ sơ"}},
        tokens["admin"],
        "SuspendProducer",
    )["data"]["suspendProducer"]
    assert suspended["userErrors"] == []
    assert suspended["producer"]["status"] == "SUSPENDED"
    assert suspended["tokensRevoked"] == 1
    # The producer's token is revoked: refused before anything runs.
    refused = gql(new_location, {"input": {}}, tokens["producer"], status=401)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Its key is refused whoever presents it, with the typed error, in the caller's language.
    with database.read_sessions() as s:
        key = producer_key(s, scenario.producer)
    answer = location(tokens["admin"], "KHO-9", actor=key)
    errors = answer["data"]["registerLocation"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [("producer", "PRODUCER_SUSPENDED")]
    again = gql(
        operation("office"),
        {"input": {"producer": producer, "reason": "x"}},
        tokens["admin"],
        "SuspendProducer",
    )["data"]["suspendProducer"]
    assert [e["code"] for e in again["userErrors"]] == ["STATUS_UNCHANGED"]
    resumed = gql(
        operation("office"), {"input": {"producer": producer}}, tokens["admin"], "ResumeProducer"
    )["data"]["resumeProducer"]
    assert resumed["userErrors"] == [] and resumed["producer"]["status"] == "ACTIVE"
    assert (
        location(tokens["admin"], "KHO-10", actor=key)["data"]["registerLocation"]["userErrors"]
        == []
    )


def test_a_suspended_producer_is_refused_by_epcis_capture_and_import(
    client: FlaskClient,
    runner: FlaskCliRunner,
    database: Database,
    ledger: Ledger,
    admin: str,
    scenario: Scenario,
    tokens: Tokens,
) -> None:
    with database.write() as s:
        suspend_producer(s, ledger, WriteRequest(admin), scenario.producer, "Kiểm tra hồ sơ")
    with database.read_sessions() as s:
        before = s.execute(select(func.count()).select_from(Event)).scalar_one()
    document = EPCIS_EXAMPLE.read_bytes()
    captured = client.post(
        "/epcis/capture",
        data=document,
        headers={
            "Content-Type": "application/ld+json",
            "Authorization": f"Bearer {tokens['producer']}",
        },
    )
    assert captured.status_code == 401  # its token was revoked with the suspension
    imported = runner.invoke(
        args=["epcis", "import", str(EPCIS_EXAMPLE), "--producer", scenario.producer]
    )
    assert imported.exit_code == 1
    assert "PRODUCER_SUSPENDED" in imported.output and "suspended" in imported.output
    with database.read_sessions() as s:
        assert s.execute(select(func.count()).select_from(Event)).scalar_one() == before


def test_update_producer_signed_with_the_offices_client_held_key(
    gql: Gql, quang_nam: str, tokens: Tokens, database: Database
) -> None:
    """``prepareUpdateProducer``, like ``prepareRegisterProducer``: the office's own key signs
    the statement it is shown; a producer's key is refused before anything is signed."""
    office = Signer.generate("van-phong-ocop-laptop")
    grower = Signer.generate("htx-tra-linh-phone")
    for signer, role, producer in ((office, "ADMIN", None), (grower, "PRODUCER", quang_nam)):
        registered = gql(
            """mutation($input: RegisterKeyInput!) { registerKey(input: $input) {
                 key { name } userErrors { code } } }""",
            {
                "input": {
                    "vkey": signer.vkey,
                    "role": role,
                    **({"producer": global_id("Producer", producer)} if producer else {}),
                }
            },
            tokens["admin"],
        )["data"]["registerKey"]
        assert registered["userErrors"] == [], registered
    data = {
        "producer": global_id("Producer", quang_nam),
        "name": "Hợp tác xã Sâm Ngọc Linh Nam Trà My",
        "actor": office.key_name,
        "idempotencyKey": "office-signed-1",
    }
    prepare = """query($input: UpdateProducerInput!) { prepareUpdateProducer(input: $input) {
        actor type statement message userErrors { code } } }"""
    prepared = gql(prepare, {"input": data}, tokens["admin"])["data"]["prepareUpdateProducer"]
    assert prepared["userErrors"] == [] and prepared["actor"] == office.key_name
    assert prepared["type"] == "producer.updated"
    signature = office.sign(base64.b64decode(prepared["message"]))
    submitted = gql(
        """mutation($input: UpdateProducerInput!) { updateProducer(input: $input) {
             producer { name } ledgerIndex userErrors { code } } }""",
        {"input": {**data, "signature": base64.b64encode(signature).decode()}},
        tokens["admin"],
    )["data"]["updateProducer"]
    assert submitted["userErrors"] == [], submitted
    assert submitted["producer"]["name"] == "Hợp tác xã Sâm Ngọc Linh Nam Trà My"
    with database.read_sessions() as s:
        origin = gql.client.application.config["TRACEAPP"].log_origin
        row = s.get(LedgerEntry, (origin, submitted["ledgerIndex"]))
        assert row is not None
    entry = parse_entry(row.entry)
    assert (entry.actor, entry.sig) == (office.key_name, signature)
    assert entry.statement == prepared["statement"]
    found = gql(operation("office"), {"name": "nam tra my"}, None, "ProducersSearch")
    assert _names(found) == ["Hợp tác xã Sâm Ngọc Linh Nam Trà My"]

    refused = gql(
        prepare,
        {"input": {**data, "actor": grower.key_name, "idempotencyKey": "grower-1"}},
        tokens["admin"],
    )["data"]["prepareUpdateProducer"]
    assert refused["statement"] is None and refused["userErrors"]


PRODUCTS_SEARCH = """query($name: String, $province: String) {
  products(first: 50, name: $name, province: $province) { totalCount edges { node { nameVi } } }
}"""
CERTIFICATIONS_SEARCH = """query($productName: String, $province: String) {
  certifications(first: 50, productName: $productName, province: $province) {
    totalCount edges { node { decisionNumber } } }
}"""


@pytest.fixture
def ginseng(database: Database, ledger: Ledger, admin: str, quang_nam: str) -> str:
    """A product of the Quảng Nam cooperative, with a certificate."""
    with database.write() as s:
        product = register_product(
            s,
            ledger,
            producer_key(s, quang_nam),
            ProductInput(
                producer=quang_nam,
                gtin="8938505974057",
                name_vi="Sâm Ngọc Linh củ tươi",
                group="herbal",
            ),
        ).public_ids[0]
        grant_certification(
            s,
            ledger,
            admin,
            CertificationInput(
                product,
                "OCOP",
                "UBND tỉnh Quảng Nam",
                "515/QĐ-UBND",
                vietnam_today() - timedelta(days=30),
                stars=5,
                issuer_level="province",
            ),
        )
    return product


@pytest.mark.parametrize(
    "filters",
    [
        {"name": "Sâm Ngọc Linh"},
        {"name": "sam ngoc linh"},
        {"name": "  CỦ   TƯƠI "},
        {"name": "cu tuoi", "province": "Quảng Nam"},
        {"province": "quang nam"},
        {"province": "TỈNH QUẢNG NAM"},
    ],
)
def test_products_and_certifications_filters_accept_vietnamese_with_or_without_diacritics(
    gql: Gql, ginseng: str, scenario: Scenario, filters: dict[str, str]
) -> None:
    products = gql(PRODUCTS_SEARCH, filters, None)
    assert "errors" not in products, products
    found = products["data"]["products"]
    assert [e["node"]["nameVi"] for e in found["edges"]] == ["Sâm Ngọc Linh củ tươi"]
    assert found["totalCount"] == 1
    variables = {"productName": filters.get("name"), "province": filters.get("province")}
    certificates = gql(CERTIFICATIONS_SEARCH, variables, None)
    assert "errors" not in certificates, certificates
    edges = certificates["data"]["certifications"]["edges"]
    assert [e["node"]["decisionNumber"] for e in edges] == ["515/QĐ-UBND"]


def test_products_filters_that_match_nothing_and_the_keys_under_verify_deep(
    gql: Gql, ginseng: str, scenario: Scenario, database: Database, runner: FlaskCliRunner
) -> None:
    for filters in (
        {"name": "%"},
        {"name": "_"},
        {"province": "nam"},
        {"province": "Lào Cai", "name": "sâm"},
    ):
        found = gql(PRODUCTS_SEARCH, filters, None)["data"]["products"]
        assert found["totalCount"] == 0, filters
    # The Lào Cai tea is found by its province alone; an empty filter filters nothing.
    tea = gql(PRODUCTS_SEARCH, {"province": "lao cai", "name": " "}, None)["data"]["products"]
    assert tea["totalCount"] == 1 and tea["edges"][0]["node"]["nameVi"] != "Sâm Ngọc Linh củ tươi"
    everything = gql(CERTIFICATIONS_SEARCH, {"province": ""}, None)["data"]["certifications"]
    assert everything["totalCount"] == 2
    # The key is a projection: a rebuild keeps it, verify --deep finds it changed.
    assert runner.invoke(args=["ledger", "rebuild"]).exit_code == 0
    assert gql(PRODUCTS_SEARCH, {"name": "sam"}, None)["data"]["products"]["totalCount"] == 1
    assert runner.invoke(args=["ledger", "verify", "--deep"]).exit_code == 0
    with database.write() as s:
        s.execute(update(Product).where(Product.public_id == ginseng).values(name_key="khac"))
    failed = runner.invoke(args=["ledger", "verify", "--deep"])
    assert failed.exit_code == 1 and "products" in failed.output
