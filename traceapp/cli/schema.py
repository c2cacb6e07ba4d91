"""``traceapp schema export [--check]``: graphql/schema.graphql is the exported SDL."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "graphql" / "schema.graphql"


@click.group("schema", help="The GraphQL schema's SDL (graphql/schema.graphql).")
def schema_group() -> None:
    pass


@schema_group.command("export")
@click.option("--check", is_flag=True, help="Exit 1 with a diff summary if the file differs.")
@click.option(
    "--path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_PATH,
    show_default=True,
)
def export(check: bool, path: Path) -> None:
    """Write the schema's SDL, or check that the committed file matches it."""
    from traceapp.api.schema import sdl

    current = sdl()
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(current, encoding="utf-8")
        click.echo(f"wrote {path}")
        return
    committed = path.read_text(encoding="utf-8") if path.exists() else ""
    if committed == current:
        click.echo(f"{path} is up to date")
        return
    diff = list(
        difflib.unified_diff(
            committed.splitlines(), current.splitlines(), "committed", "schema", lineterm="", n=1
        )
    )
    added = sum(1 for line in diff if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))
    click.echo(
        f"{path} differs from the schema: +{added} -{removed} lines; run `traceapp schema export`",
        err=True,
    )
    for line in diff[:40]:
        click.echo(line, err=True)
    if len(diff) > 40:
        click.echo(f"... {len(diff) - 40} more diff lines", err=True)
    raise SystemExit(1)
