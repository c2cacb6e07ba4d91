"""Scan activity folded from the scans table (and checked by ``verify --deep``), and the
GraphQL ``statistics`` field: the office and auditors any scope, producers their own only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select, update
from support.statements import StatementCounter

from office_stats.conftest import Country
from traceapp.api.ids import encode_global_id
from traceapp.auth.services import create_token
from traceapp.db.sessions import Database
from traceapp.scans import services as scans
from traceapp.scans.clones import MANY_CHECKS
from traceapp.statistics.models import NATION, StatScan, StatScanRank
from traceapp.statistics.scans import fold_scans
from traceapp.statistics.scopes import make_scope
from traceapp.statistics.services import scans_by

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _scan(database: Database, item: str, count: int, start: datetime) -> None:
    with database.write() as s:
        for i in range(count):
            scans.record(
                s,
                item,
                at=start + timedelta(seconds=i),
                client=f"c{i % 3}",
                agent=None,
                result="ok",
            )


def test_scans_fold_into_activity_and_copies_into_signals(
    database: Database, runner: FlaskCliRunner, country: Country
) -> None:
    honey, tea = country.honey_items, country.tea.items
    _scan(database, honey[0], MANY_CHECKS + 1, NOW)  # crosses the many-checks rule
    _scan(database, honey[1], 2, NOW)
    _scan(database, tea[0], 3, NOW)
    with database.write() as s:
        assert fold_scans(s, now=NOW) == MANY_CHECKS + 6
        assert fold_scans(s, now=NOW) == 0  # nothing new: nothing counted twice
    today = NOW.date()
    with database.read_sessions() as s:
        national = {
            f.key: (f.scans, f.signals) for f in scans_by(s, make_scope(), "province", today)
        }
        own = scans_by(s, make_scope(producer=country.honey), "product", today)
    assert national == {"Đà Nẵng": (MANY_CHECKS + 3, 1), "Lào Cai": (3, 0)}
    assert own[0].key == country.honey_products[0]
    assert [(f.name, f.scans, f.signals) for f in own] == [
        ("Bánh tráng nước dừa", MANY_CHECKS + 3, 1)
    ]
    _scan(database, honey[0], 1, NOW + timedelta(hours=1))
    with database.write() as s:
        assert fold_scans(s, now=NOW) == 1  # flagged once only
    with database.read_sessions() as s:
        again = {f.key: (f.scans, f.signals) for f in scans_by(s, make_scope(), "province", today)}
    assert again["Đà Nẵng"] == (MANY_CHECKS + 4, 1)
    assert runner.invoke(args=["ledger", "verify", "--deep"]).exit_code == 0
    with database.write() as s:
        s.execute(update(StatScan).where(StatScan.province == "Lào Cai").values(scans=99))
    failed = runner.invoke(args=["ledger", "verify", "--deep"])
    assert failed.exit_code == 1 and "stat_scans" in failed.output
    assert runner.invoke(args=["ledger", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["ledger", "verify", "--deep"]).exit_code == 0
    # The products are ranked by their scans ever, and show those of the last months.
    _scan(database, tea[1], MANY_CHECKS + 9, NOW - timedelta(days=800))
    with database.write() as s:
        fold_scans(s, now=NOW)
    with database.read_sessions() as s:
        ranked = {
            (r.province, r.product): r.scans for r in s.execute(select(StatScanRank)).scalars()
        }
        products = [(f.key, f.scans) for f in scans_by(s, make_scope(), "product", today)]
        top = scans_by(s, make_scope(), "product", today, top=1)
    assert ranked[NATION, country.tea.product] == 3 + MANY_CHECKS + 9
    assert ranked["Lào Cai", country.tea.product] == 3 + MANY_CHECKS + 9
    assert ranked[NATION, country.honey_products[0]] == MANY_CHECKS + 4
    assert products == [(country.honey_products[0], MANY_CHECKS + 4), (country.tea.product, 3)]
    assert [(f.key, f.scans) for f in top] == [(country.tea.product, 3)]
    with database.write() as s:
        s.execute(update(StatScanRank).values(scans=StatScanRank.scans + 1))
    failed = runner.invoke(args=["ledger", "verify", "--deep"])
    assert failed.exit_code == 1 and "stat_scan_ranks" in failed.output
    assert runner.invoke(args=["ledger", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["ledger", "verify", "--deep"]).exit_code == 0


QUERY = """query($province: String, $producer: ID) {
  statistics(province: $province, producerId: $producer) {
    checkpoint { size rootHash } province producers products certificatesValid
    certificatesEndingIn30Days producersByProvince { key count }
    productsByGroup { key count } itemsPerMonth { key count }
    capacity { productName month unit batches quantity }
  }
}"""


def _post(client: FlaskClient, token: str | None, **variables: str) -> dict:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post(
        "/graphql", json={"query": QUERY, "variables": variables}, headers=headers
    )
    return response.get_json()  # type: ignore[no-any-return]


@pytest.fixture
def tokens(database: Database, country: Country) -> dict[str, str]:
    with database.write() as s:
        return {
            "admin": create_token(s, "admin")[1],
            "auditor": create_token(s, "auditor")[1],
            "honey": create_token(s, "producer", country.honey)[1],
        }


def test_statistics_for_portals_and_for_a_producer_itself(
    client: FlaskClient, tokens: dict[str, str], country: Country
) -> None:
    for role in ("admin", "auditor"):
        found = _post(client, tokens[role], province="Quang Nam")["data"]["statistics"]
        assert found["province"] == "Đà Nẵng" and found["producers"] == 1
        assert found["certificatesEndingIn30Days"] == 1
        assert found["checkpoint"]["size"] > 10
    national = _post(client, tokens["admin"])["data"]["statistics"]
    assert {f["key"]: f["count"] for f in national["producersByProvince"]} == {
        "Lào Cai": 1,
        "Đà Nẵng": 1,
    }
    own = _post(client, tokens["honey"])["data"]["statistics"]
    assert own["producers"] == 1 and own["products"] == 2
    assert [c["productName"] for c in own["capacity"]] == ["Bánh tráng nước dừa"]
    tea = encode_global_id("Producer", country.tea.producer)
    refused = _post(client, tokens["honey"], producer=tea)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = _post(client, None)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    bad = _post(client, tokens["admin"], province="Atlantis")
    assert bad["errors"][0]["extensions"]["code"] == "INVALID"


# Every field of ``Statistics`` with what to select under it; a test below checks the list
# against the schema, so a field added later is tested here too.
FIELDS = {
    "checkpoint": "{ size rootHash }",
    "province": "",
    "producers": "",
    "products": "",
    "certificatesValid": "",
    "certificatesEndingIn30Days": "",
    "certificatesEndingIn90Days": "",
    "producersByProvince": "{ key count }",
    "producersByCommune": "{ key count }",
    "producersByKind": "{ key count }",
    "producersByStatus": "{ key count }",
    "productsByGroup": "{ key count }",
    "productsByProvince": "{ key count }",
    "certificatesByStars": "{ key count }",
    "certificatesByProvince": "{ key count }",
    "itemsPerMonth": "{ key count }",
    "eventsPerMonth": "{ key count }",
    "capacity": "{ productPublicId productName month unit batches quantity }",
    "scansByProvince": "{ key name scans signals }",
    "scansByProduct": "{ key name scans signals }",
}


def _ask(client: FlaskClient, token: str, query: str) -> dict:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post("/graphql", json={"query": query}, headers=headers)
    body = response.get_json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("province", [None, "Quảng Nam"])
def test_a_query_reads_only_the_statistics_it_selects(
    client: FlaskClient,
    tokens: dict[str, str],
    country: Country,
    database: Database,
    count_statements: StatementCounter,
    province: str | None,
) -> None:
    """Each field asked alone (or through a fragment) equals the same field asked with every
    other, and costs only its own statements: a portal's two counts are not the page's
    twenty reads."""
    _scan(database, country.honey_items[0], 2, datetime.now(UTC))
    with database.write() as s:
        fold_scans(s)
    schema = _ask(client, tokens["admin"], '{ __type(name: "Statistics") { fields { name } } }')
    assert {f["name"] for f in schema["__type"]["fields"]} == set(FIELDS)
    scope = f'(province: "{province}")' if province else ""
    every = " ".join(f"{name} {under}" for name, under in FIELDS.items())
    before = count_statements.count
    whole = _ask(client, tokens["auditor"], f"{{ statistics{scope} {{ {every} }} }}")["statistics"]
    all_statements = count_statements.count - before
    assert whole["producers"] == (1 if province else 2) and whole["scansByProduct"]
    assert bool(whole["producersByCommune"]) == bool(province)
    for name, under in FIELDS.items():
        before = count_statements.count
        alone = _ask(client, tokens["auditor"], f"{{ statistics{scope} {{ {name} {under} }} }}")
        statements = count_statements.count - before
        assert alone["statistics"] == {name: whole[name]}, name
        assert statements < all_statements / 2, (name, statements, all_statements)
    fragment = (
        f"query {{ statistics{scope} {{ ...Counts }} }} "
        "fragment Counts on Statistics { producers itemsPerMonth { key count } }"
    )
    found = _ask(client, tokens["auditor"], fragment)["statistics"]
    assert found == {"producers": whole["producers"], "itemsPerMonth": whole["itemsPerMonth"]}
