"""``traceapp export portal -o FILE``: the national portal profile as JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from traceapp.cli.common import producer_id_option, require_schema
from traceapp.config import get_settings
from traceapp.db.sessions import get_database
from traceapp.partners.portal import PortalScope, portal_header, portal_records


@click.group("export", help="Exports for partners (docs/portal.md).")
def export_group() -> None:
    pass


@export_group.command("portal")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--producer", help="Only this producer's records (pro_… or GraphQL ID).")
@click.option(
    "--after-index",
    type=click.IntRange(min=0),
    help="Only what changed after this ledger index (a previous export's checkpoint size - 1).",
)
@with_appcontext
def portal_command(output: Path, producer: str | None, after_index: int | None) -> None:
    """Write the portal profile v1 (header, products, batches, items, events) as JSON Lines.

    Read in one snapshot; written to FILE.part and renamed, so FILE is whole or absent.
    """
    require_schema()
    settings = get_settings()
    scope = PortalScope(
        producer_id_option(producer) if producer else None,
        after_index if after_index is not None else -1,
    )
    partial = output.with_name(output.name + ".part")
    counts: dict[str, int] = {}
    with get_database().snapshot_sessions() as session, partial.open("w", encoding="utf-8") as out:
        header = portal_header(session, settings.public_url, settings.log_origin, scope)
        out.write(json.dumps(header, ensure_ascii=False) + "\n")
        for _, record in portal_records(session, settings.public_url, scope):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            counts[record["record"]] = counts.get(record["record"], 0) + 1
    partial.replace(output)
    kinds = {"product": "products", "batch": "batches", "item": "items", "event": "events"}
    summary = ", ".join(f"{plural}: {counts.get(kind, 0)}" for kind, plural in kinds.items())
    click.echo(
        f"exported {summary}; at checkpoint size {header['checkpoint']['size']} to {output}",
        err=True,
    )
