"""The migrations and the models agree, on both engines, and migrate both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import inspect

from traceapp.db import Base, get_database
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
