"""The certificates in force and the capacity read bounded rows (``cert_months``,
``cert_years``, ``stat_batch_ranks``) and still equal counts made here from the ledger's
statements, on any day; SQLite reads the certificates' ranges from their index."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, text
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from support.statements import counting_statements

from office_stats.conftest import Country, _today
from traceapp import migrate
from traceapp.batches.services import BatchInput, create_batch
from traceapp.db.sessions import Database
from traceapp.ledger_store.entries import stream_entries
from traceapp.ledger_store.writer import Ledger
from traceapp.producers.services import producer_key
from traceapp.products.services import (
    CertificationInput,
    ProductInput,
    grant_certification,
    register_product,
    revoke_certification,
)
from traceapp.statistics.models import StatBatchRank, StatCount, StatScanRank
from traceapp.statistics.scopes import make_scope, rollup_rows
from traceapp.statistics.services import MONTHS, TOP, capacity, ranking, statistics

PROVINCE_NOW = {"lào cai": "Lào Cai", "quảng nam": "Đà Nẵng"}


@dataclass(frozen=True)
class Certificate:
    producer: str
    province: str
    stars: str
    valid_until: str
    revoked: bool


def _replayed(database: Database, ledger: Ledger) -> tuple[list[Certificate], list[dict[str, str]]]:
    """Every certificate and batch as the statements tell them."""
    provinces: dict[str, str] = {}
    owners: dict[str, str] = {}
    granted: dict[str, dict[str, str]] = {}
    revoked: set[str] = set()
    batches: list[dict[str, str]] = []
    with database.read_sessions() as session:
        for appended in stream_entries(session, ledger.origin):
            kind, s = appended.entry.type, appended.entry.statement
            if kind == "producer.registered":
                provinces[s["id"]] = PROVINCE_NOW[s["address"]["province"].lower()]
            elif kind == "product.registered":
                owners[s["id"]] = s["producer"]
            elif kind == "certification.granted":
                granted[s["id"]] = s
            elif kind == "certification.revoked":
                revoked.add(s["id"])
            elif kind == "batch.created":
                batches.append({**s, "producer": owners[s["product"]]})
    certificates = [
        Certificate(
            owners[c["product"]],
            provinces[owners[c["product"]]],
            str(c["stars"]),
            str(c["valid_until"]),
            public_id in revoked,
        )
        for public_id, c in granted.items()
        if c["scheme"] == "OCOP"
    ]
    return certificates, batches


@pytest.fixture
def many_endings(database: Database, ledger: Ledger, admin: str, country: Country) -> None:
    """Certificates ending on many days: past, today, this month, later this year, next
    years; one of them revoked."""
    today = _today()
    endings = [-400, -31, -1, 0, 1, 17, 29, 31, 45, 89, 90, 91, 150, 200, 366, 700, 1080]
    with database.write() as s:
        for n, days in enumerate(endings):
            public_id = grant_certification(
                s,
                ledger,
                admin,
                CertificationInput(
                    product=country.honey_products[n % 2],
                    scheme="OCOP",
                    stars=3 + n % 3,
                    issuer="UBND thành phố Đà Nẵng",
                    issuer_level="province",
                    decision_number=f"{100 + n}/QĐ-UBND",
                    issued_on=today + timedelta(days=min(days, 0) - 10),
                    valid_until=today + timedelta(days=days),
                ),
            ).public_ids[0]
            if days == 45:
                revoke_certification(s, ledger, admin, public_id, "cấp nhầm")


def _days_to_check(today: date) -> list[date]:
    """Today, the turns of months and years around the endings, and a year ahead."""
    days = {today + timedelta(days=d) for d in range(-3, 3)}
    for months in range(0, 40):
        first = date(
            today.year + (today.month - 1 + months) // 12, (today.month - 1 + months) % 12 + 1, 1
        )
        days |= {first - timedelta(days=1), first}
    days |= {date(today.year, 12, 31), date(today.year + 1, 1, 1)}
    return sorted(days)


@pytest.mark.usefixtures("many_endings")
def test_certificates_in_force_equal_the_ledgers_count_on_every_day(
    database: Database, ledger: Ledger, country: Country
) -> None:
    certificates, _ = _replayed(database, ledger)
    checked = 0
    with database.snapshot_sessions() as session:
        for day in _days_to_check(_today()):
            for producer in (None, country.honey):
                scope = make_scope(producer=producer)
                stats = statistics(session, ledger.origin, scope, day)
                alive = [
                    c
                    for c in certificates
                    if not c.revoked
                    and c.valid_until >= day.isoformat()
                    and producer in (None, c.producer)
                ]
                stars = Counter(c.stars for c in alive)
                provinces = Counter(c.province for c in alive)
                assert {f.key: f.count for f in stats.certificates_by_stars if f.count} == stars
                assert {f.key: f.count for f in stats.certificates_by_province} == provinces
                assert stats.certificates_valid == len(alive)
                for days, figure in ((30, stats.expiring_30), (90, stats.expiring_90)):
                    until = (day + timedelta(days=days)).isoformat()
                    assert figure == sum(c.valid_until <= until for c in alive), (day, days)
                checked += 1
    assert checked > 80


def _volumes(
    batches: list[dict[str, str]], today: date, producer: str | None = None
) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    since = _months_ago(today)
    ever: Counter[str] = Counter()
    recent: Counter[tuple[str, str]] = Counter()
    for b in batches:
        if producer not in (None, b["producer"]):
            continue
        ever[b["product"]] += 1
        if b["production_date"][:7] >= since:
            recent[b["product"], b["production_date"][:7]] += Decimal(b["quantity"] or 0)
    return ever, recent


def _months_ago(today: date) -> str:
    month = today.year * 12 + today.month - 1 - (MONTHS - 1)
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


@pytest.fixture
def more_batches(database: Database, ledger: Ledger, country: Country) -> None:
    """A third product with the most batches, one of them made long ago (ranked, not shown)."""
    today = _today()
    with database.write() as s:
        key = producer_key(s, country.honey)
        third = register_product(
            s,
            ledger,
            key,
            ProductInput(
                producer=country.honey, gtin="8938505974040", name_vi="Mắm cá cơm", group="food"
            ),
        ).public_ids[0]
        dates = [today - timedelta(days=800), today - timedelta(days=40), today - timedelta(days=3)]
        for n, made in enumerate(dates * 2):
            create_batch(
                s,
                ledger,
                key,
                BatchInput(
                    product=third if n < 4 else country.honey_products[1],
                    lot=f"MC-{n}",
                    production_date=made,
                    quantity=str(10 + n),
                    unit="bottle",
                ),
            )


@pytest.mark.usefixtures("more_batches")
def test_capacity_ranks_on_the_totals_and_shows_the_recent_months_of_the_top(
    database: Database, ledger: Ledger, country: Country
) -> None:
    _, batches = _replayed(database, ledger)
    today = _today()
    with database.snapshot_sessions() as session:
        for producer, province in ((None, None), (None, "quang nam"), (country.honey, None)):
            scope = make_scope(producer=producer, province=province)
            # The honey producer is Đà Nẵng's only one.
            whose = country.honey if province else producer
            ever, recent = _volumes(batches, today, whose)
            ranked = sorted(ever, key=lambda p: (-ever[p], p))
            for top in (1, 2, None):
                found = capacity(session, scope, today, top=top)
                shown = ranked[:top] if top else ranked
                expected = Counter({k: v for k, v in recent.items() if k[0] in shown})
                got = Counter({(c.product, c.month): Decimal(str(c.quantity)) for c in found})
                assert got == expected, (producer, province, top)
                order = list(dict.fromkeys(c.product for c in found))
                if top is None:  # an export: every product of the months, most batches first
                    made = Counter(
                        b["product"]
                        for b in batches
                        if b["production_date"][:7] >= _months_ago(today)
                        and whose in (None, b["producer"])
                    )
                    shown = sorted(made, key=lambda p: (-made[p], p))
                assert order == [p for p in shown if any(k[0] == p for k in recent)]
        totals = {
            r.product: r.batches
            for r in session.execute(
                select(StatBatchRank).where(StatBatchRank.province == "*")
            ).scalars()
        }
        # Batches are counted by province: a commune's scope has no capacity rows.
        assert capacity(session, make_scope(commune="xa dai hiep"), today) == []
    assert totals == dict(_volumes(batches, today)[0])


@pytest.mark.usefixtures("many_endings", "more_batches")
def test_rebuild_and_verify_deep_cover_the_new_rows(
    database: Database, runner: FlaskCliRunner
) -> None:
    def rows() -> set[tuple[object, ...]]:
        with database.read_sessions() as session:
            return {
                (r.metric, r.producer, r.province, r.commune, r.k1, r.k2, r.k3, r.n)
                for r in session.execute(
                    select(StatCount).where(StatCount.metric.in_(("cert_months", "cert_years")))
                ).scalars()
            } | {
                ("batch_ranks", r.province, r.product, r.batches)
                for r in session.execute(select(StatBatchRank)).scalars()
            }

    before = rows()
    assert {r[0] for r in before} == {"cert_months", "cert_years", "batch_ranks"}
    assert runner.invoke(args=["ledger", "rebuild"]).exit_code == 0
    assert rows() == before
    with database.write() as session:
        row = (
            session.execute(
                select(StatCount).where(StatCount.metric == "cert_years", StatCount.commune == "*")
            )
            .scalars()
            .first()
        )
        assert row is not None
        row.n += 1
    failed = runner.invoke(args=["ledger", "verify", "--deep"])
    assert failed.exit_code == 1 and "stat_counts" in failed.output


@pytest.mark.parametrize(
    "metric, k3",
    [
        ("certificates", "k3 >= '2026-12-07' AND k3 <= '2026-12-31'"),
        ("cert_months", "k3 > '2026-12'"),
    ],
)
def test_the_certificates_ranges_are_index_ranges(tmp_path: Path, metric: str, k3: str) -> None:
    """A national figure of certificates seeks the range of k3 it sums, not every day's row."""
    path = tmp_path / "plan.db"
    migrate.upgrade(f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as conn:
        plan = " | ".join(
            row[3]
            for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT province, k1, k2, SUM(n) FROM stat_counts "
                f"WHERE metric = ? AND producer = '' AND commune = '*' AND {k3} "
                "GROUP BY province, k1, k2",
                (metric,),
            )
        )
    assert "ix_stat_counts_ranges (metric=? AND producer=? AND commune=? AND k3>" in plan, plan


@pytest.mark.parametrize("rank", ["batches", "scans"])
@pytest.mark.parametrize("province", [None, "quang nam"])
def test_the_top_products_are_the_first_rows_of_the_ranking_index(
    database: Database, rank: str, province: str | None
) -> None:
    """The capacity's and the scans' top products read the first TOP rows of the ranking's
    index in the nation's (or a province's) range, in the index's order: no sort of every
    product of the country."""
    model, by = (
        (StatBatchRank, StatBatchRank.batches)
        if rank == "batches"
        else (StatScanRank, StatScanRank.scans)
    )
    query = ranking(make_scope(province=province), model, by, TOP)
    with database.read_sessions() as session:
        dialect = session.get_bind().dialect
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "sqlite":
            plan = " | ".join(r[3] for r in session.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert f"ix_stat_{'batch' if rank == 'batches' else 'scan'}_ranks_top" in plan, plan
            assert "(province=?)" in plan and "TEMP B-TREE" not in plan, plan
        else:
            # The tables are small here: forbid what a large table would not choose.
            session.execute(text("SET LOCAL enable_seqscan = off"))
            session.execute(text("SET LOCAL enable_sort = off"))
            plan = " | ".join(r[0] for r in session.execute(text("EXPLAIN " + sql)))
            assert f"ix_stat_{'batch' if rank == 'batches' else 'scan'}_ranks_top" in plan, plan
            assert "Sort" not in plan, plan


@pytest.mark.parametrize("metric", ["producers", "products"])
def test_the_provinces_rollups_are_read_from_the_ranges_index(tmp_path: Path, metric: str) -> None:
    """A national figure reads the provinces' roll-ups (commune '*') from
    ix_stat_counts_ranges, never every commune's roll-up through the primary key: SQLite's
    planner, without statistics, takes the primary key unless told (PostgreSQL plans from
    the statistics its autovacuum gathers)."""
    path = tmp_path / "plan.db"
    migrate.upgrade(f"sqlite:///{path}")
    columns = [StatCount.province, StatCount.k1] + ([StatCount.k2] if metric == "producers" else [])
    query = (
        select(*columns, func.sum(StatCount.n))
        .where(*rollup_rows(make_scope(), metric))
        .group_by(*columns)
    )
    sql = str(query.compile(dialect=sqlite_dialect(), compile_kwargs={"literal_binds": True}))
    with closing(sqlite3.connect(path)) as conn:
        plan = " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
    assert "ix_stat_counts_ranges (metric=? AND producer=? AND commune=?" in plan, plan


@pytest.mark.parametrize("metric", ["items", "events", "batches"])
@pytest.mark.parametrize("province", [None, "quang nam"])
def test_the_months_since_are_a_range_of_the_months_index(
    database: Database, metric: str, province: str | None
) -> None:
    """The items, events and batches of the last months are a range of ix_stat_counts_months
    (metric, producer, commune, k1): the rows read are those months', however many months
    the ledger has run."""
    since = "2026-01"
    query = (
        select(StatCount.k1, func.sum(StatCount.n))
        .where(*rollup_rows(make_scope(province=province), metric, since=since))
        .group_by(StatCount.k1)
    )
    with database.read_sessions() as session:
        dialect = session.get_bind().dialect
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "sqlite":
            plan = " | ".join(r[3] for r in session.execute(text("EXPLAIN QUERY PLAN " + sql)))
            # A province's rows: its range of the primary key does as well.
            index = "ix_stat_counts_months" if province is None else r"\w+"
            wanted = rf"USING (COVERING )?INDEX {index} \(metric=\? AND producer=\? AND "
            assert re.search(wanted + r"(province=\? AND )?commune=\? AND k1>\?\)", plan), plan
        else:
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " | ".join(r[0] for r in session.execute(text("EXPLAIN " + sql)))
            if province is None:
                assert "ix_stat_counts_months" in plan, plan
            assert f"(k1)::text >= '{since}'::text" in plan.split("Index Cond:", 1)[1], plan


def test_postgresql_plans_the_statistics_for_their_values_in_their_transaction_only(
    database: Database, ledger: Ledger, country: Country
) -> None:
    """The roll-ups' '' and '*' keys hold most of a metric's rows, which a generic plan of a
    prepared statement cannot see: statistics() (and the exports' capacity and scans) have
    PostgreSQL plan each of their statements for its values, set once for their own
    transaction, and the pooled connection goes back as it was."""
    if database.is_sqlite:
        pytest.skip("PostgreSQL's plan cache")
    setting = text("SELECT current_setting('plan_cache_mode')")
    snapshot = database.snapshot_sessions
    with counting_statements(database) as counted, snapshot() as session, session.begin():
        statistics(session, ledger.origin, make_scope(), _today())
        assert session.execute(setting).scalar() == "force_custom_plan"
    assert sum("plan_cache_mode" in sql for sql in counted.statements) == 2  # set once, read
    with database.snapshot_sessions() as session, session.begin():
        assert session.execute(setting).scalar() == "auto"
    # An export's capacity (every product) reads alone: the same in its transaction.
    with database.snapshot_sessions() as session, session.begin():
        capacity(session, make_scope(), _today(), top=None)
        assert session.execute(setting).scalar() == "force_custom_plan"
