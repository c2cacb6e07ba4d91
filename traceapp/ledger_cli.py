"""Commands that write the ledger or read it whole: keys, tokens, privacy, rebuild."""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from traceapp.cli import require_schema
from traceapp.config import ConfigError, Settings
from traceapp.db.sessions import get_database
from traceapp.errors import DomainError
from traceapp.ledger_store.log import create_log_key
from traceapp.ledger_store.models import LedgerHead
from traceapp.ledger_store.runtime import get_ledger


def _settings() -> Settings:
    settings: Settings = current_app.config["TRACEAPP"]
    return settings


@click.group("keys", help="The log key and the genesis of the ledger.")
def keys_group() -> None:
    pass


@keys_group.command("init")
@click.option(
    "--existing-log-key",
    is_flag=True,
    help="Use the log key file already there (for a new, empty database).",
)
@with_appcontext
def keys_init(existing_log_key: bool) -> None:
    """Create the log key (mode 0600) and write the genesis: the first admin key."""
    from traceapp.keys.services import init_ledger

    settings = _settings()
    require_schema()
    if not existing_log_key:
        create_log_key(settings.log_key_file, settings.log_origin)
    try:
        with get_database().write() as session:
            admin, service = init_ledger(session, get_ledger())
    except DomainError as exc:
        raise ConfigError(exc.message) from None
    ledger = get_ledger()
    click.echo(f"log origin: {ledger.origin}")
    click.echo(f"log vkey:   {ledger.log.vkey}")
    click.echo(f"admin key:  {admin}")
    click.echo(f"service key: {service}")


@click.command("tokens")
@click.argument("action", type=click.Choice(["create"]))
@click.option("--role", type=click.Choice(["admin", "producer", "auditor"]), required=True)
@click.option("--producer", help="The producer's public ID (role producer).")
@click.option("--label", help="What the token is for.")
@with_appcontext
def tokens(action: str, role: str, producer: str | None, label: str | None) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from traceapp.auth.services import create_token

    require_schema()
    try:
        with get_database().write() as session:
            token, plaintext = create_token(session, role, producer, label)
            token_id = token.public_id
    except DomainError as exc:
        raise click.UsageError(f"{exc.field or 'token'}: {exc.message}") from None
    click.echo(f"token {token_id} ({role}{' ' + producer if producer else ''}); shown once:")
    click.echo(plaintext)


@click.group("privacy", help="Personal data kept off the ledger.")
def privacy_group() -> None:
    pass


@privacy_group.command("erase")
@click.argument("producer")
@with_appcontext
def privacy_erase(producer: str) -> None:
    """Erase a producer's personal data; the ledger and its proofs stay valid."""
    from traceapp.producers.services import erase_personal_data, get_producer

    require_schema()
    with get_database().write() as session:
        try:
            get_producer(session, producer)
        except DomainError as exc:
            raise click.UsageError(exc.message) from None
        count = erase_personal_data(session, producer)
    click.echo(f"erased {count} personal field(s) of {producer}")


@click.group("ledger", help="Verify, export and rebuild the ledger.")
def ledger_group() -> None:
    pass


@ledger_group.command("rebuild")
@with_appcontext
def ledger_rebuild() -> None:
    """Recreate every projection table from the ledger entries alone."""
    from traceapp.ledger_store.rebuild import rebuild

    require_schema()
    origin = get_ledger().origin
    with get_database().write() as session:
        head = session.get(LedgerHead, origin)
        size = head.size if head else 0
        with click.progressbar(length=size, label="replaying", show_pos=True) as bar:
            count = rebuild(session, origin, progress=lambda _n: bar.update(1000))
    click.echo(f"rebuilt the projections from {count} entries")


@ledger_group.command("verify")
@click.option("--deep", is_flag=True, help="Also compare every projection row with a replay.")
@with_appcontext
def ledger_verify(deep: bool) -> None:
    """Re-derive the whole ledger from its entries; exit 1 naming the first divergence."""
    from traceapp.deep_checks import DEEP_CHECKS
    from traceapp.ledger_store.consistency import verify_database
    from traceapp.ledger_store.stored_rows import AuditFailure

    require_schema()
    ledger = get_ledger()
    bars: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = click.progressbar(
                length=total or None, label=f"verifying {stage}", file=sys.stderr
            )
            bar.__enter__()
        bar.update(done - bar.pos)

    started = datetime.now(UTC)
    with get_database().snapshot_sessions() as session:
        try:
            report = verify_database(
                session, ledger, deep=deep, progress=progress, domain_checks=DEEP_CHECKS
            )
        except AuditFailure as failure:
            _close(bars)
            _record_run(ledger.origin, started, deep, None, str(failure))
            click.echo(f"FAILED: {failure}", err=True)
            sys.exit(1)
    _close(bars)
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


def _close(bars: dict[str, Any]) -> None:
    for bar in bars.values():
        bar.__exit__(None, None, None)


@ledger_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def ledger_export(file: Path) -> None:
    """Write the log as JSON Lines (DESIGN §5) for `python -m ledger verify-log FILE`."""
    from ledger.export import write_export
    from traceapp.ledger_store.entries import iter_entry_bytes
    from traceapp.ledger_store.reads import latest_checkpoint

    require_schema()
    ledger = get_ledger()
    temporary = file.with_name(file.name + ".partial")
    with get_database().snapshot_sessions() as session:
        checkpoint = latest_checkpoint(session, ledger.origin)
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


def register(app_cli: click.Group) -> None:
    app_cli.add_command(keys_group)
    app_cli.add_command(tokens)
    app_cli.add_command(privacy_group)
    app_cli.add_command(ledger_group)
    from traceapp.demo.cli import demo
    from traceapp.labels.cli import labels

    app_cli.add_command(demo)
    app_cli.add_command(labels)
    from traceapp.epcis.cli import epcis_group

    app_cli.add_command(epcis_group)
