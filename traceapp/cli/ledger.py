"""``traceapp ledger verify [--deep] | export FILE | rebuild | publish DIR``: the ledger read
whole."""

from __future__ import annotations

import base64
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from traceapp.cli.common import EXIT_FAILED, StageBars, require_schema
from traceapp.db.sessions import get_database
from traceapp.errors import NotFound
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.models import LedgerHead


@click.group("ledger", help="Verify, export, rebuild and publish the ledger.")
def ledger_group() -> None:
    pass


@ledger_group.command("rebuild")
@with_appcontext
def ledger_rebuild() -> None:
    """Recreate every projection table from the ledger entries alone."""
    from traceapp.ledger_store.rebuild import rebuild
    from traceapp.statistics.scans import refold_scans

    require_schema()
    ledger = get_ledger()
    origin = ledger.origin
    with get_database().write() as session:
        head = session.get(LedgerHead, origin)
        size = head.size if head else 0
        with click.progressbar(length=size, label="replaying", show_pos=True) as bar:
            count = rebuild(
                session, origin, ledger.projectors, progress=lambda _n: bar.update(1000)
            )
        # Scan activity is not in the ledger: folded again from the scans table.
        folded = refold_scans(session)
    click.echo(f"rebuilt the projections from {count} entries")
    click.echo(f"folded {folded} scans into the statistics")


@ledger_group.command("verify")
@click.option("--deep", is_flag=True, help="Also compare every projection row with a replay.")
@click.option(
    "--reference",
    is_flag=True,
    help="Verify the entries with the sequential reference verifier alone (slower).",
)
@with_appcontext
def ledger_verify(deep: bool, reference: bool) -> None:
    """Re-derive the whole ledger from its entries; exit 1 naming the first divergence."""
    from traceapp.deep_checks import DEEP_CHECKS
    from traceapp.ledger_store.consistency import verify_database
    from traceapp.ledger_store.stored_rows import AuditFailure

    require_schema()
    ledger = get_ledger()
    started = datetime.now(UTC)
    with get_database().snapshot_sessions() as session:
        head = session.get(LedgerHead, ledger.origin)
        with StageBars(default_total=head.size if head else 0) as progress:
            try:
                report = verify_database(
                    session,
                    ledger,
                    deep=deep,
                    progress=progress,
                    domain_checks=DEEP_CHECKS,
                    reference=reference,
                )
            except AuditFailure as failure:
                failed: AuditFailure | None = failure
            else:
                failed = None
    if failed is not None:
        _record_run(ledger.origin, started, deep, None, str(failed))
        click.echo(f"FAILED: {failed}", err=True)
        sys.exit(EXIT_FAILED)
    _record_run(ledger.origin, started, deep, report.size, None)
    rows = f", {report.projection_rows} projection rows match a replay" if deep else ""
    click.echo(
        f"OK: {report.size} entries, {report.checkpoints} checkpoints, "
        f"root {base64.b64encode(report.root).decode()}{rows}"
    )


def _record_run(
    origin: str, started: datetime, deep: bool, size: int | None, failure: str | None
) -> None:
    """Remember the run for the auditors' summary (GraphQL ``auditSummary``)."""
    from traceapp.ledger_store.models import AuditRun

    with get_database().write() as session:
        session.add(
            AuditRun(
                log=origin,
                started_at=started,
                finished_at=datetime.now(UTC),
                deep=deep,
                size=size or 0,
                ok=failure is None,
                failure=failure,
            )
        )


@ledger_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def ledger_export(file: Path) -> None:
    """Write the log as JSON Lines for `python -m ledger verify-log FILE` (docs/audit.md).

    Line 1 holds the latest signed checkpoint and the log's vkey, then one line per entry.
    """
    from ledger.export import write_export
    from traceapp.ledger_store.entries import iter_entry_bytes
    from traceapp.ledger_store.reads import latest_checkpoint

    require_schema()
    ledger = get_ledger()
    temporary = file.with_name(file.name + ".partial")
    with get_database().snapshot_sessions() as session:
        try:
            checkpoint = latest_checkpoint(session, ledger.origin)
        except NotFound as exc:
            raise click.ClickException(exc.message) from None
        with (
            temporary.open("wb") as out,
            click.progressbar(length=checkpoint.size, label="exporting", file=sys.stderr) as bar,
        ):

            def entries() -> Iterator[tuple[int, bytes]]:
                for index, data in iter_entry_bytes(session, ledger.origin, checkpoint.size):
                    bar.update(1)
                    yield index, data

            count = write_export(out, checkpoint.note, ledger.log.vkey, entries())
    os.replace(temporary, file)
    click.echo(f"exported {count} entries to {file}")


@ledger_group.command("publish")
@click.argument("directory", type=click.Path(file_okay=False, writable=True, path_type=Path))
@click.option(
    "--watch",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="Keep publishing: check the log again every SECONDS until interrupted.",
)
@click.option(
    "--gzip",
    "gzip",
    is_flag=True,
    help="Also write each entry bundle precompressed, as <path>.gz beside it.",
)
@with_appcontext
def ledger_publish(directory: Path, watch: int | None, gzip: bool) -> None:
    """Write a static c2sp.org/tlog-tiles mirror of the log under DIRECTORY (docs/operations.md).

    DIRECTORY/checkpoint, DIRECTORY/tile/<L>/<N>[.p/<W>] and DIRECTORY/tile/entries/<N>[.p/<W>],
    the paths of /ledger, and DIRECTORY/vkey. Only new tiles are written, each renamed into place;
    the checkpoint last.
    """
    require_schema()
    while True:
        _publish_once(directory, gzip)
        if watch is None:
            return
        try:
            time.sleep(watch)
        except KeyboardInterrupt:
            return


def _publish_once(directory: Path, gzip: bool) -> None:
    from traceapp.ledger_store.publish import publish
    from traceapp.witness.runtime import get_witnessing
    from traceapp.witness.served import served_checkpoint

    origin = get_ledger().origin
    witnessing = get_witnessing()
    with (
        get_database().snapshot_sessions() as session,
        StageBars(default_total=0, verb="publishing") as bars,
    ):
        try:
            # The mirror's checkpoint is the one /ledger/checkpoint serves (cosigned, if witnessed).
            note = served_checkpoint(session, origin, witnessing.witnesses, witnessing.quorum)
            result = publish(
                session,
                origin,
                directory,
                lambda done, total: bars("tiles", done, total),
                note,
                vkey=get_ledger().log.vkey,
                gzip=gzip,
            )
        except NotFound as exc:
            raise click.ClickException(exc.message) from None
    if result.written or result.checkpoint_changed:
        click.echo(
            f"published checkpoint {result.size} to {directory}: {result.written} tiles and "
            f"entry bundles written, {result.kept} already there"
        )
