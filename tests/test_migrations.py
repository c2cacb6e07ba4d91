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

from traceapp import migrate
from traceapp.db.base import Base
from traceapp.db.sessions import get_database
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
