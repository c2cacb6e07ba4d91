"""graphql/schema.graphql is the exported SDL; `schema export --check` catches drift."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from traceapp.api.schema import sdl
from traceapp.cli.schema import DEFAULT_PATH, export


def test_committed_schema_is_current() -> None:
    assert DEFAULT_PATH.read_text(encoding="utf-8") == sdl()


def test_export_and_check(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    runner = CliRunner()
    assert runner.invoke(export, ["--path", str(target)]).exit_code == 0
    assert runner.invoke(export, ["--check", "--path", str(target)]).exit_code == 0
    target.write_text(sdl().replace("type Product implements", "type Produce implements"))
    result = runner.invoke(export, ["--check", "--path", str(target)])
    assert result.exit_code == 1
    assert "differs from the schema" in result.output and "+1 -1" in result.output


def test_graphql_folder_holds_no_python() -> None:
    folder = DEFAULT_PATH.parent
    assert not list(folder.rglob("*.py"))
