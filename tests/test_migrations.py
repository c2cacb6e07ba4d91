"""The migrations and the models agree, on both engines, and migrate both ways."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import inspect
from support.scenario import Scenario

from traceapp import migrate
from traceapp.db.base import Base
from traceapp.db.sessions import Database, get_database
from traceapp.ledger_store.writer import Ledger
from traceapp.models import load_all_models


def _differences(app: Flask) -> list[object]:
    load_all_models()
    with get_database(app).engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_autogenerate_finds_no_difference(app: Flask) -> None:
    assert _differences(app) == []


def test_downgrade_to_base_and_upgrade_again(app: Flask, runner: FlaskCliRunner) -> None:
    engine = get_database(app).engine
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert _differences(app) == []
    result = runner.invoke(args=["db", "current"])
    assert "current: " in result.output and result.output.count("0") >= 2


@pytest.mark.parametrize(
    "column", ["type", "biz_step", "disposition", "read_point", "biz_location", "producer_id"]
)
def test_a_filtered_event_page_is_an_index_range_not_a_sort(tmp_path: Path, column: str) -> None:
    """Keyset pages of events filtered on one column: SQLite reads the page from one index in
    ledger order, whatever the number of matching events (no temporary B-tree)."""
    path = tmp_path / "plan.db"
    migrate.upgrade(f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as conn:
        plan = " | ".join(
            row[3]
            for row in conn.execute(
                f"EXPLAIN QUERY PLAN SELECT * FROM events WHERE {column} = ? "
                "AND ledger_seq > ? ORDER BY ledger_seq LIMIT 20",
                ("x", 0),
            )
        )
    assert "TEMP B-TREE" not in plan, plan
    assert f"{column}=? AND ledger_seq>?" in plan, plan


def test_0018_backfills_the_search_keys_and_the_history(database_url: str) -> None:
    """Producers registered before 0018 get their search keys and the history row of their
    registration, on both engines; downgrading removes them again."""
    from sqlalchemy import create_engine, text

    migrate.downgrade(database_url, "0017")
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO producers (id, public_id, kind, name, province, commune, "
                    "address_recorded_on, ledger_seq, updated_seq) VALUES (7, 'pro_old', "
                    "'cooperative', 'Hợp tác xã Đồng Tiến', 'Tỉnh Quảng Nam', 'Xã Điện Bàn', "
                    "'2024-05-01', 5, 5)"
                )
            )
        migrate.upgrade(database_url)
        with engine.connect() as conn:
            keys = conn.execute(
                text("SELECT name_key, province_key, commune_key, suspended_seq FROM producers")
            ).one()
            history = conn.execute(
                text("SELECT seq, producer_id, type FROM producer_changes")
            ).all()
    finally:
        engine.dispose()
    assert tuple(keys) == ("hop tac xa dong tien", "quang nam", "dien ban", None)
    assert [tuple(r) for r in history] == [(5, 7, "producer.registered")]


def test_0020_backfills_the_items_history(
    database_url: str, database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    """Items with events before 0020 get their latest step time and latest return, as the
    projector keeps them (compared with the projected values, on both engines)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from traceapp.batches.models import Item
    from traceapp.events.building import EventInput
    from traceapp.events.services import record_event

    when = datetime(2026, 11, 25, 9, tzinfo=UTC)
    for n, (step, disposition) in enumerate(
        [("retail_selling", "retail_sold"), ("receiving", "returned")]
    ):
        with database.write() as s:
            record_event(
                s,
                ledger,
                scenario.producer_key,
                EventInput(
                    type="ObjectEvent",
                    event_time=when + timedelta(hours=n),
                    biz_step=step,
                    disposition=disposition,
                    items=[scenario.items[0]],
                ),
            )
    query = select(Item.public_id, Item.last_step_time, Item.returned_seq).order_by(Item.id)
    with database.read_sessions() as s:
        projected = s.execute(query).all()
    database.dispose()
    migrate.downgrade(database_url, "0019")
    migrate.upgrade(database_url)
    with database.read_sessions() as s:
        backfilled = s.execute(query).all()
    assert backfilled == projected
    assert any(r.returned_seq is not None for r in projected)
    assert sum(r.last_step_time is not None for r in projected) >= 2


def test_0023_keeps_every_fourth_level_and_downgrade_restores_every_level(
    database_url: str, database: Database, ledger: Ledger, scenario: Scenario
) -> None:
    """0023 deletes the levels the strided store folds (ledger_hashes keeps 4, 8, ...); the
    proofs and the deep audit hold after it, and downgrading recomputes every level as the
    sequencer stored them before (compared with a CompactRange of the leaves)."""
    from sqlalchemy import select
    from support.grow import append_inspections

    from ledger.merkle import CompactRange, root_from_leaf_hashes
    from ledger.proof_verification import verify_consistency, verify_inclusion
    from ledger.tiles import TILE_WIDTH
    from traceapp.ledger_store import reads
    from traceapp.ledger_store.consistency import verify_database
    from traceapp.ledger_store.models import LedgerEntry, LedgerHash
    from traceapp.ledger_store.store import keeps_row

    append_inspections(database, ledger, scenario, 2 * TILE_WIDTH + 9)
    leaves_query = select(LedgerEntry.leaf_hash).order_by(LedgerEntry.seq)
    nodes = select(LedgerHash.level, LedgerHash.idx, LedgerHash.hash).order_by(
        LedgerHash.level, LedgerHash.idx
    )
    with database.read_sessions() as s:
        leaves = list(s.execute(leaves_query).scalars())
    compact, every_level = CompactRange(), []
    for leaf in leaves:
        every_level.extend(compact.append(leaf))
    size, root = compact.size, compact.root()
    assert size > 2 * TILE_WIDTH
    database.dispose()

    migrate.downgrade(database_url, "0022")
    with database.read_sessions() as s:
        assert [tuple(row) for row in s.execute(nodes)] == sorted(every_level)
    database.dispose()

    migrate.upgrade(database_url)
    with database.read_sessions() as s:
        kept = [tuple(row) for row in s.execute(nodes)]
        proofs = {i: reads.inclusion(s, ledger.origin, i, size) for i in (0, 300, size - 1)}
        consistency = reads.consistency(s, ledger.origin, 300, size)
        verify_database(s, ledger, deep=True)
    assert kept == sorted(n for n in every_level if keeps_row(n[0]))
    assert {level for level, _, _ in kept} == {4, 8}
    for index, proof in proofs.items():
        verify_inclusion(leaves[index], index, size, proof, root)
    verify_consistency(300, size, root_from_leaf_hashes(leaves[:300]), root, consistency)


def test_0022_backfills_the_bounded_rollups(
    database_url: str, database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    """Products' name keys; certificates by the month and year they end, at every level, as
    the projectors keep them (compared with the projected rows, on both engines); the downgrade
    removes them. (0022's batches a product are 0025's ``stat_batch_ranks`` now.)"""
    from datetime import date

    from sqlalchemy import select

    from traceapp.products.models import Product
    from traceapp.products.services import CertificationInput, grant_certification
    from traceapp.statistics.models import StatCount

    with database.write() as s:
        for n, until in enumerate([date(2027, 3, 1), date(2027, 3, 20), date(2028, 1, 5)]):
            grant_certification(
                s,
                ledger,
                admin,
                CertificationInput(
                    product=scenario.product,
                    scheme="OCOP",
                    stars=3 + n % 2,
                    issuer="UBND tỉnh Lào Cai",
                    issuer_level="province",
                    decision_number=f"{n}/QĐ-UBND",
                    issued_on=date(2026, 1, 5),
                    valid_until=until,
                ),
            )
    new = ("cert_months", "cert_years")
    query = select(StatCount).where(StatCount.metric.in_(new))

    def rows() -> set[tuple[object, ...]]:
        with database.read_sessions() as s:
            return {
                (r.metric, r.producer, r.province, r.commune, r.k1, r.k2, r.k3, r.n)
                for r in s.execute(query).scalars()
            }

    keys = select(Product.public_id, Product.name_vi, Product.name_key).order_by(Product.id)
    with database.read_sessions() as s:
        projected_keys = s.execute(keys).all()
    projected = rows()
    assert {r[0] for r in projected} == set(new)
    assert ("cert_months", "", "Lào Cai", "*", "OCOP", "3", "2027-03", 1) in projected
    assert ("cert_years", "", "Lào Cai", "*", "OCOP", "3", "2027", 1) in projected
    database.dispose()
    migrate.downgrade(database_url, "0021")
    assert rows() == set()
    migrate.upgrade(database_url)
    assert rows() == projected
    with database.read_sessions() as s:
        assert s.execute(keys).all() == projected_keys
    assert [r.name_key for r in projected_keys] == ["tra shan tuyet co thu"]


def test_0025_moves_the_batch_totals_into_rankings_and_back(
    database_url: str, database: Database, ledger: Ledger, admin: str, scenario: Scenario
) -> None:
    """A product's batches and scans ever, in its province and the nation, as the projector
    and the fold keep them (compared with the projected rows, on both engines); the downgrade
    brings back 0022's ``batch_totals`` rows at every level."""
    from datetime import UTC, date, datetime

    from sqlalchemy import select

    from traceapp.batches.services import BatchInput, create_batch
    from traceapp.scans import services as scans
    from traceapp.statistics.models import StatBatchRank, StatCount, StatScanRank
    from traceapp.statistics.scans import fold_scans

    with database.write() as s:
        for lot in ("M-1", "M-2"):
            create_batch(
                s,
                ledger,
                scenario.producer_key,
                BatchInput(product=scenario.product, lot=lot, production_date=date(2026, 11, 2)),
            )
        for client in ("c1", "c2", "c3"):
            scans.record(
                s, scenario.items[0], at=datetime.now(UTC), client=client, agent=None, result="ok"
            )
        assert fold_scans(s) == 3

    def ranks() -> set[tuple[object, ...]]:
        with database.read_sessions() as s:
            return {
                ("batches", r.province, r.product, r.batches)
                for r in s.execute(select(StatBatchRank)).scalars()
            } | {
                ("scans", r.province, r.product, r.scans)
                for r in s.execute(select(StatScanRank)).scalars()
            }

    totals = select(
        StatCount.producer, StatCount.province, StatCount.commune, StatCount.k1, StatCount.n
    ).where(StatCount.metric == "batch_totals")
    projected = ranks()
    assert ("batches", "*", scenario.product, 3) in projected
    assert ("batches", "Lào Cai", scenario.product, 3) in projected
    assert ("scans", "*", scenario.product, 3) in projected
    assert ("scans", "Lào Cai", scenario.product, 3) in projected
    database.dispose()
    migrate.downgrade(database_url, "0024")
    with database.read_sessions() as s:
        assert set(s.execute(totals).tuples()) == {
            (scenario.producer, "Lào Cai", "", scenario.product, 3),
            ("", "Lào Cai", "", scenario.product, 3),
            ("", "Lào Cai", "*", scenario.product, 3),
        }
    database.dispose()
    migrate.upgrade(database_url)
    assert ranks() == projected
    with database.read_sessions() as s:
        assert s.execute(totals).all() == []


def test_0026_adds_the_provinces_scans_of_every_product(
    database_url: str, database: Database, scenario: Scenario
) -> None:
    """The rows of producer and product '*' as the fold keeps them (compared with the folded
    rows, on both engines); the downgrade removes them."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from traceapp.scans import services as scans
    from traceapp.statistics.models import StatScan
    from traceapp.statistics.scans import fold_scans

    with database.write() as s:
        for n, item in enumerate(scenario.items[:3]):
            scans.record(s, item, at=datetime.now(UTC), client=f"c{n}", agent=None, result="ok")
        assert fold_scans(s) == 3
    every = select(StatScan.province, StatScan.month, StatScan.scans).where(
        StatScan.producer == "*", StatScan.product == "*"
    )
    with database.read_sessions() as s:
        folded = s.execute(every).all()
    assert [(p, n) for p, _, n in folded] == [("Lào Cai", 3)]
    database.dispose()
    migrate.downgrade(database_url, "0025")
    with database.read_sessions() as s:
        assert s.execute(every).all() == []
    database.dispose()
    migrate.upgrade(database_url)
    with database.read_sessions() as s:
        assert s.execute(every).all() == folded
