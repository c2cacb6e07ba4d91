"""The statistics equal counts made here by replaying the ledger's statements; a rebuild
reproduces the aggregates; ``verify --deep`` finds an aggregate changed behind its back."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select, update

from office_stats.conftest import Country, _today
from traceapp.db.sessions import Database
from traceapp.ledger_store.entries import stream_entries
from traceapp.ledger_store.writer import Ledger
from traceapp.statistics.errors import InvalidFilter
from traceapp.statistics.models import StatCount
from traceapp.statistics.scopes import make_scope
from traceapp.statistics.services import Statistics, statistics

# The test's own reading of the merger for the provinces it uses (Resolution 202/2025/QH15).
PROVINCE_NOW = {"lào cai": "Lào Cai", "quảng nam": "Đà Nẵng"}


def replayed(
    database: Database, ledger: Ledger, producer: str | None = None
) -> dict[str, Counter[str]]:
    """Counts from the statements alone, as a reader of the log would make them."""
    producers: dict[str, tuple[str, str]] = {}
    products: dict[str, tuple[str, str]] = {}
    certificates: dict[str, dict[str, object]] = {}
    batches: dict[str, str] = {}
    counts: dict[str, Counter[str]] = {
        name: Counter()
        for name in ("province", "kind", "group", "stars", "items", "events", "volume")
    }
    with database.read_sessions() as session:
        for appended in stream_entries(session, ledger.origin):
            kind, s = appended.entry.type, appended.entry.statement
            month = appended.entry.recorded[:7]
            if kind == "producer.registered":
                producers[s["id"]] = (PROVINCE_NOW[s["address"]["province"].lower()], s["kind"])
            elif kind == "product.registered":
                products[s["id"]] = (s["producer"], s["group"])
            elif kind == "certification.granted":
                certificates[s["id"]] = {**s, "revoked": False}
            elif kind == "certification.revoked":
                certificates[s["id"]]["revoked"] = True
            elif kind == "batch.created":
                batches[s["id"]] = s["product"]
                if producer in (None, products[s["product"]][0]):
                    counts["volume"][s["product"], s["production_date"][:7]] += Decimal(
                        s["quantity"]
                    )
            elif kind == "items.issued":
                if producer in (None, products[batches[s["batch"]]][0]):
                    counts["items"][month] += len(s["items"])
            elif kind == "event.recorded" and producer in (None, s["producer"]):
                counts["events"][month] += 1
    for public_id, (province, kind_of) in producers.items():
        if producer in (None, public_id):
            counts["province"][province] += 1
            counts["kind"][kind_of] += 1
    for owner, group in products.values():
        if producer in (None, owner):
            counts["group"][group] += 1
    for c in certificates.values():
        owner = products[str(c["product"])][0]
        valid = not c["revoked"] and str(c["valid_until"]) >= _today().isoformat()
        if producer in (None, owner) and valid and c["scheme"] == "OCOP":
            counts["stars"][str(c["stars"])] += 1
    return counts


def _nonzero(figures: list) -> Counter[str]:  # type: ignore[type-arg]
    return Counter({f.key: f.count for f in figures if f.count})


def _check(stats: Statistics, expected: dict[str, Counter[str]]) -> None:
    assert _nonzero(stats.producers_by_province) == expected["province"]
    assert _nonzero(stats.producers_by_kind) == expected["kind"]
    assert _nonzero(stats.products_by_group) == expected["group"]
    assert _nonzero(stats.certificates_by_stars) == expected["stars"]
    assert _nonzero(stats.items_per_month) == expected["items"]
    assert _nonzero(stats.events_per_month) == expected["events"]
    volumes = Counter({(c.product, c.month): Decimal(str(c.quantity)) for c in stats.capacity})
    assert volumes == expected["volume"]


def test_statistics_equal_counts_replayed_from_the_ledger(
    database: Database, ledger: Ledger, country: Country
) -> None:
    with database.snapshot_sessions() as session:
        national = statistics(session, ledger.origin, make_scope(), _today())
        own = statistics(session, ledger.origin, make_scope(producer=country.honey), _today())
    _check(national, replayed(database, ledger))
    _check(own, replayed(database, ledger, country.honey))
    # The pre-merger "quảng nam" counts under Đà Nẵng; the revoked 4-star certificate is gone.
    assert _nonzero(national.producers_by_province) == {"Lào Cai": 1, "Đà Nẵng": 1}
    assert national.expiring_30 == 1 and national.expiring_90 == 1
    assert own.producers == 1 and own.products == 2 and own.certificates_valid == 1


@pytest.mark.parametrize("spelling", ["Quang Nam", "QUẢNG NAM", "Tỉnh Quảng Nam", "đà nẵng"])
def test_a_province_filter_takes_any_spelling_of_the_former_or_current_name(
    database: Database, ledger: Ledger, country: Country, spelling: str
) -> None:
    scope = make_scope(province=spelling)
    assert scope.province == "Đà Nẵng"
    with database.snapshot_sessions() as session:
        stats = statistics(session, ledger.origin, scope, _today())
    assert stats.producers == 1 and stats.products == 2
    assert [f.key for f in stats.producers_by_commune] == ["Xã Đại Hiệp"]


def test_an_unknown_province_or_group_is_refused() -> None:
    with pytest.raises(InvalidFilter) as refused:
        make_scope(province="Atlantis")
    assert refused.value.field == "province"
    with pytest.raises(InvalidFilter):
        make_scope(group="weapons")


def _rows(database: Database) -> set[tuple[object, ...]]:
    with database.read_sessions() as session:
        return {
            (r.metric, r.producer, r.province, r.commune, r.k1, r.k2, r.k3, r.n, r.amount_milli)
            for r in session.execute(select(StatCount)).scalars()
        }


def test_rebuild_reproduces_the_aggregates_and_verify_deep_checks_them(
    database: Database, runner: FlaskCliRunner, country: Country
) -> None:
    before = _rows(database)
    assert len(before) > 20
    result = runner.invoke(args=["ledger", "rebuild"])
    assert result.exit_code == 0, result.output
    assert _rows(database) == before
    assert runner.invoke(args=["ledger", "verify", "--deep"]).exit_code == 0
    with database.write() as session:
        session.execute(
            update(StatCount)
            .where(StatCount.metric == "products", StatCount.producer == "")
            .values(n=StatCount.n + 1)
        )
    failed = runner.invoke(args=["ledger", "verify", "--deep"])
    assert failed.exit_code == 1
    assert "stat_counts" in failed.output


def test_a_commune_reads_its_own_rollups_and_the_nation_its_provinces(
    database: Database, ledger: Ledger, country: Country
) -> None:
    """National and provincial figures read the provinces' roll-ups (commune '*'), a commune
    filter the communes' own: the same counts either way."""
    with database.snapshot_sessions() as session:
        province = statistics(session, ledger.origin, make_scope(province="đà nẵng"), _today())
        commune = statistics(
            session,
            ledger.origin,
            make_scope(province="đà nẵng", commune="xa dai hiep"),
            _today(),
        )
        elsewhere = statistics(
            session, ledger.origin, make_scope(province="đà nẵng", commune="*"), _today()
        )
    assert (
        (commune.producers, commune.products) == (province.producers, province.products) == (1, 2)
    )
    assert commune.certificates_valid == province.certificates_valid
    assert elsewhere.producers == 0 and elsewhere.products == 0  # '*' is no commune's name


def test_0021_backfills_the_provinces_rollups(
    database_url: str, database: Database, country: Country
) -> None:
    from traceapp import migrate

    projected = _rows(database)
    assert any(row[1] == "" and row[3] == "*" for row in projected)
    database.dispose()
    migrate.downgrade(database_url, "0020")
    assert not any(row[3] == "*" for row in _rows(database))
    migrate.upgrade(database_url)
    assert _rows(database) == projected
