"""N+1 guard: every operation in graphql/operations/ runs a fixed number of SQL statements,
however many rows it returns (eager loading planned from the selection set)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from support.scenario import VN, Scenario
from support.statements import StatementCounter

from traceapp.auth.services import create_token
from traceapp.batches.services import BatchInput, create_batch, issue_items
from traceapp.db.sessions import Database
from traceapp.events.building import EventInput
from traceapp.events.services import record_event
from traceapp.i18n import vietnam_today
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.services import LocationInput, register_location
from traceapp.producers.services import ProducerInput, register_producer
from traceapp.products.services import (
    CertificationInput,
    ProductInput,
    grant_certification,
    register_product,
)
from traceapp.recalls.services import RecallInput, issue_recall

from .conftest import Gql, global_id, operation

GTINS = ["8938505974026", "8938505974033", "8938505974040", "8938505974057"]


def _grow(database: Database, ledger: Ledger, admin: str, scenario: Scenario, round_: int) -> None:
    """More of everything: products with certificates, locations, batches, items, events."""
    key = scenario.producer_key
    with database.write() as s:
        product = register_product(
            s,
            ledger,
            key,
            ProductInput(scenario.producer, GTINS[round_], f"Sản phẩm {round_}", "food"),
        ).public_ids[0]
        grant_certification(
            s,
            ledger,
            admin,
            CertificationInput(
                product,
                "VietGAP",
                "Sở NN",
                f"VG-{round_}",
                date(2026, 1, 1),
                valid_until=date(2028, 1, 1),
            ),
        )
        location = register_location(
            s,
            ledger,
            key,
            LocationInput(scenario.producer, f"WH-{round_}", f"Kho {round_}", "warehouse"),
        ).public_ids[0]
        batch = create_batch(
            s,
            ledger,
            key,
            BatchInput(
                product,
                f"LOT-{round_}",
                date(2026, 12, 1),
                origin_location=location,
                inputs=[scenario.batch],
            ),
        ).public_ids[0]
        items = issue_items(s, ledger, key, batch, 4).receipt.public_ids
        for n in range(3):
            record_event(
                s,
                ledger,
                key,
                EventInput(
                    type="ObjectEvent",
                    event_time=datetime(2026, 12, 2, tzinfo=VN) + timedelta(hours=round_ * 10 + n),
                    biz_step="shipping",
                    items=items,
                    read_point=location,
                ),
            )
        issue_recall(s, ledger, key, RecallInput([batch], f"Lý do {round_}", "low"))


def _variables(name: str, scenario: Scenario) -> dict[str, Any]:
    return {
        "ProductPage": {"gtin": "8938505974019"},
        "VerifyItem": {
            "code": f"/01/08938505974019/10/L2026-11A/21/{scenario.pins and next(iter(scenario.pins))}"
        },
        "InclusionProof": {"index": 1, "size": 3},
        "ConsistencyProof": {"old": 2, "new": 5},
        "ItemsOfBatch": {"batch": global_id("Batch", scenario.batch)},
        "Nodes": {
            "ids": [global_id("Product", scenario.product), global_id("Batch", scenario.batch)]
            + [global_id("Item", i) for i in scenario.items]
            + [global_id("Product", "prd_x")]
        },
    }.get(name, {})


READS = [
    ("consumer", "VerifyItem", None),
    ("consumer", "ProductPage", None),
    ("consumer", "Recalls", None),
    ("auditor", "LedgerHead", "auditor"),
    ("auditor", "LedgerEntries", "auditor"),
    ("auditor", "InclusionProof", "auditor"),
    ("auditor", "ConsistencyProof", "auditor"),
    ("auditor", "ActorKeys", "auditor"),
    ("app_events", "EventsPage", "auditor"),
    ("app_events", "ItemsOfBatch", "producer"),
    ("app_events", "Nodes", "admin"),
]
# Operations whose result does not grow with the data (a head, a proof, one product page).
FIXED_SIZE = {
    "VerifyItem",
    "ActorKeys",
    "LedgerHead",
    "InclusionProof",
    "ConsistencyProof",
    "ProductPage",
    "Nodes",
    "ItemsOfBatch",
}
# Statements per operation, fixed: authentication (1 with a token) + the reads it plans.
EXPECTED = {
    # With the batch's inputs (one step back, verification/upstream.py), and the shared rate
    # limit's one upsert (verification/ratelimit_store.py).
    "VerifyItem": 12,
    "ProductPage": 2,
    "Recalls": 2,
    "LedgerHead": 2,
    "LedgerEntries": 2,
    "InclusionProof": 4,
    "ConsistencyProof": 2,
    "ActorKeys": 1,
    "EventsPage": 3,
    "ItemsOfBatch": 2,
    "Nodes": 4,
}


@pytest.mark.parametrize(("file", "name", "role"), READS)
def test_read_statement_count_is_fixed(
    gql: Gql,
    scenario: Scenario,
    tokens: dict[str, str | None],
    database: Database,
    ledger: Ledger,
    admin: str,
    count_statements: StatementCounter,
    file: str,
    name: str,
    role: str | None,
) -> None:
    document, variables = operation(file), _variables(name, scenario)
    token = tokens[role] if role else None
    counts, sizes = [], []
    for round_ in range(3):
        _grow(database, ledger, admin, scenario, round_)
        count_statements.statements.clear()
        result = gql(document, variables, token, name)
        assert "errors" not in result, result
        counts.append(count_statements.count - (1 if token else 0))
        sizes.append(len(str(result["data"])))
    assert sizes[0] < sizes[2] or name in FIXED_SIZE, (name, sizes)
    assert counts == [EXPECTED[name]] * 3, (name, counts, count_statements.statements)


def test_write_statement_count_does_not_grow_with_the_items_it_returns(
    gql: Gql, scenario: Scenario, tokens: dict[str, str | None], count_statements: StatementCounter
) -> None:
    document = operation("producer_batch")
    counts = []
    for n, count in enumerate((2, 20)):
        created = gql(
            document,
            {
                "input": {
                    "product": global_id("Product", scenario.product),
                    "lot": f"L-COUNT-{n}",
                    "productionDate": "2027-01-01",
                }
            },
            tokens["producer"],
            "CreateBatch",
        )["data"]["createBatch"]
        count_statements.statements.clear()
        issued = gql(
            document,
            {"input": {"batch": created["batch"]["id"], "count": count}},
            tokens["producer"],
            "IssueItems",
        )["data"]["issueItems"]
        assert len(issued["items"]) == count
        counts.append(count_statements.count)
    assert counts[0] == counts[1], count_statements.statements


# Statements of a write, fixed however much the log and the tables hold: authentication, the
# idempotency record, the plan's reads, the append and its checkpoint, the payload's reads.
# PostgreSQL appends the entry, its hashes and its checkpoint in one statement (a CTE).
WRITES = {"UpdateLocation": {"sqlite": 14, "postgresql": 12}}


def test_update_location_statement_count_is_fixed(
    gql: Gql,
    scenario: Scenario,
    tokens: dict[str, str | None],
    database: Database,
    ledger: Ledger,
    admin: str,
    count_statements: StatementCounter,
) -> None:
    document = operation("producer_places")
    farm = global_id("Location", scenario.farm)
    counts = []
    for round_ in range(3):
        _grow(database, ledger, admin, scenario, round_)
        count_statements.statements.clear()
        value = {"location": farm, "name": f"Đồi chè {round_}", "idempotencyKey": f"k-{round_}"}
        result = gql(document, {"input": value}, tokens["producer"], "UpdateLocation")
        done = result["data"]["updateLocation"]
        assert done["userErrors"] == [] and done["location"]["name"] == f"Đồi chè {round_}"
        assert done["location"]["producer"]["name"] == "Hợp tác xã Chè Shan Tuyết Bản Mế"
        counts.append(count_statements.count)
    expected = WRITES["UpdateLocation"][database.engine.dialect.name]
    assert counts == [expected] * 3, (counts, count_statements.statements)


def _office_grow(
    database: Database, ledger: Ledger, admin: str, scenario: Scenario, n: int
) -> None:
    """One more producer in Quảng Nam, and one more OCOP certificate ending within 90 days."""
    with database.write() as s:
        producer = register_producer(
            s,
            ledger,
            admin,
            ProducerInput(
                kind="cooperative",
                name=f"Hợp tác xã Quế Trà My {n}",
                province="Quảng Nam",
                commune="Xã Trà Mai",
                address_recorded_on=date(2024, 5, 1),
            ),
            custodial_key=False,
        ).public_ids[0]
        grant_certification(
            s,
            ledger,
            admin,
            CertificationInput(
                scenario.product,
                "OCOP",
                "UBND tỉnh Lào Cai",
                f"{n}/QĐ-UBND",
                vietnam_today() - timedelta(days=1000),
                stars=4,
                issuer_level="province",
                valid_until=vietnam_today() + timedelta(days=30 + n),
            ),
        )
    assert producer


@pytest.mark.parametrize(
    ("name", "variables", "role", "expected"),
    [
        ("ProducersSearch", {"province": "quang nam", "name": "QUE TRA MY"}, "admin", 2),
        ("ExpiringCertificates", {"days": 90, "stars": 4}, "auditor", 2),
    ],
)
def test_office_read_statement_count_is_fixed(
    gql: Gql,
    scenario: Scenario,
    tokens: dict[str, str | None],
    database: Database,
    ledger: Ledger,
    admin: str,
    count_statements: StatementCounter,
    name: str,
    variables: dict[str, Any],
    role: str,
    expected: int,
) -> None:
    counts, totals = [], []
    for n in range(3):
        _office_grow(database, ledger, admin, scenario, n)
        count_statements.statements.clear()
        result = gql(operation("office"), variables, tokens[role], name)
        assert "errors" not in result, result
        counts.append(count_statements.count - 1)
        totals.append(next(iter(result["data"].values()))["totalCount"])
    assert totals == [1, 2, 3], totals
    assert counts == [expected] * 3, (name, counts, count_statements.statements)


def test_office_writes_statement_count_does_not_grow_with_tokens_or_members(
    gql: Gql,
    scenario: Scenario,
    tokens: dict[str, str | None],
    database: Database,
    count_statements: StatementCounter,
) -> None:
    """Suspending revokes every token and signs out every member: in a fixed number of
    statements, however many there are."""
    producer = global_id("Producer", scenario.producer)
    counts: dict[str, list[int]] = {
        "UpdateProducer": [],
        "SuspendProducer": [],
        "ResumeProducer": [],
    }
    for round_, extra in enumerate((0, 4)):
        with database.write() as s:
            for _ in range(extra):
                create_token(s, "producer", scenario.producer)
        for name, input_ in (
            ("UpdateProducer", {"producer": producer, "name": f"HTX Chè {round_}"}),
            ("SuspendProducer", {"producer": producer, "reason": "Kiểm tra hồ sơ"}),
            ("ResumeProducer", {"producer": producer}),
        ):
            count_statements.statements.clear()
            result = gql(operation("office"), {"input": input_}, tokens["admin"], name)
            payload = next(iter(result["data"].values()))
            assert payload["userErrors"] == [], payload
            counts[name].append(count_statements.count)
            if name == "SuspendProducer":
                # The fixture's token the first time; the four new ones the second.
                assert payload["tokensRevoked"] == (extra or 1)
                assert payload["producer"]["status"] == "SUSPENDED"
    for name, seen in counts.items():
        assert seen[0] == seen[1], (name, seen)
