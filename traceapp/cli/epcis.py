"""``traceapp epcis import FILE`` and ``traceapp epcis export [-o FILE] [filters]`` (DESIGN §9)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import click
from flask.cli import with_appcontext

from traceapp.cli.common import EXIT_FAILED, require_schema
from traceapp.db.sessions import get_database
from traceapp.epcis.errors import EpcisValidationError, Issue
from traceapp.epcis.exporter import epcis_document
from traceapp.epcis.schema import DEFAULT_MAX_BYTES
from traceapp.errors import DomainError
from traceapp.events.capture import ERROR_BEHAVIOURS, CaptureResult, capture_document
from traceapp.events.query import QueryParameterError, iter_all, parse_query
from traceapp.ledger_runtime import get_ledger


@click.group(
    "epcis", help="EPCIS 2.0 JSON-LD documents: import and export events; background work."
)
def epcis_group() -> None:
    pass


def _signing_key(producer: str | None) -> str:
    from traceapp.keys.services import admin_key_name
    from traceapp.producers.services import producer_key

    with get_database().read_sessions() as session:
        try:
            return producer_key(session, producer) if producer else admin_key_name(session)
        except DomainError as exc:
            raise click.UsageError(f"--producer: {exc.message}") from None


def _print_issues(issues: Sequence[Issue], truncated: bool = False) -> None:
    for issue in issues:
        click.echo(f"  {issue}", err=True)
    if truncated:
        click.echo("  (more problems not listed)", err=True)


def _summary(result: CaptureResult) -> str:
    return (
        f"{result.total} events: {len(result.recorded)} recorded, "
        f"{len(result.error_declared)} error declarations, "
        f"{len(result.duplicates)} already recorded, {len(result.failures)} refused"
    )


@epcis_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--producer", help="Sign as this producer (public ID); default: the admin key.")
@click.option(
    "--error-behaviour",
    type=click.Choice(ERROR_BEHAVIOURS),
    default="rollback",
    show_default=True,
    help="rollback: all or nothing; proceed: record the valid events, report the others.",
)
@with_appcontext
def import_command(file: BinaryIO, producer: str | None, error_behaviour: str) -> None:
    """Capture an EPCISDocument or EPCISQueryDocument (JSON-LD) from FILE ('-' for stdin)."""
    require_schema()
    raw = file.read(DEFAULT_MAX_BYTES + 1)
    actor = _signing_key(producer)
    try:
        with get_database().write() as session:
            result = capture_document(
                session, get_ledger(), actor, raw, error_behaviour=error_behaviour
            )
    except EpcisValidationError as exc:
        click.echo("refused, nothing recorded:", err=True)
        _print_issues(exc.issues, exc.truncated)
        sys.exit(EXIT_FAILED)
    for warning in result.warnings:
        click.echo(f"warning: {warning.pointer}: {warning.message}", err=True)
        click.echo(f"  found {warning.found}, computed {warning.expected}", err=True)
    if result.failures:
        click.echo("refused events:", err=True)
        _print_issues(result.failures)
    click.echo(_summary(result))
    if result.receipt is not None:
        click.echo(f"ledger entries {result.receipt.ledger_index}..", nl=False)
        click.echo(result.receipt.ledger_index + result.receipt.entry_count - 1)
    if result.failures:
        sys.exit(EXIT_FAILED)


_FILTERS = (
    ("event_type", "eventType"),
    ("ge_event_time", "GE_eventTime"),
    ("lt_event_time", "LT_eventTime"),
    ("ge_record_time", "GE_recordTime"),
    ("lt_record_time", "LT_recordTime"),
    ("biz_step", "EQ_bizStep"),
    ("disposition", "EQ_disposition"),
    ("read_point", "EQ_readPoint"),
    ("biz_location", "EQ_bizLocation"),
    ("epc", "MATCH_epc"),
    ("any_epc", "MATCH_anyEPC"),
    ("epc_class", "MATCH_epcClass"),
)


@epcis_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--event-type", multiple=True, help="ObjectEvent, AggregationEvent ...")
@click.option("--ge-event-time", help="eventTime >= (RFC 3339 with time zone)")
@click.option("--lt-event-time", help="eventTime <")
@click.option("--ge-record-time", help="recordTime >=")
@click.option("--lt-record-time", help="recordTime <")
@click.option("--biz-step", multiple=True, help="CBV name (shipping) or URI")
@click.option("--disposition", multiple=True)
@click.option("--read-point", multiple=True)
@click.option("--biz-location", multiple=True)
@click.option("--epc", multiple=True, help="in epcList or childEPCs (URN or Digital Link)")
@click.option("--any-epc", multiple=True, help="anywhere in the event")
@click.option("--epc-class", multiple=True, help="in quantity lists")
@click.option(
    "--param", "params", multiple=True, metavar="NAME=VALUE", help="any REST query parameter"
)
@with_appcontext
def export_command(output: Path | None, params: tuple[str, ...], **filters: object) -> None:
    """Write the matching events as one EPCISDocument (to stdout unless -o)."""
    require_schema()
    query_params: dict[str, list[str]] = {}
    for option, name in _FILTERS:
        value = filters.get(option)
        values = list(value) if isinstance(value, tuple) else [value] if value else []
        if values:
            query_params.setdefault(name, []).extend(str(v) for v in values)
    for pair in params:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.UsageError(f"--param {pair!r}: expected NAME=VALUE")
        query_params.setdefault(name, []).append(value)
    try:
        query = parse_query(query_params)
    except QueryParameterError as exc:
        raise click.UsageError(str(exc)) from None
    with get_database().read_sessions() as session:
        events = list(iter_all(session, get_ledger().origin, query))
    text = json.dumps(epcis_document(events), ensure_ascii=False, indent=1) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"exported {len(events)} events to {output}", err=True)


def _background(captures: bool, once: bool, poll: float) -> None:
    import signal
    import threading

    from traceapp.config import get_settings
    from traceapp.events.capture_jobs import run_captures
    from traceapp.subscriptions.sender import deliver_pending
    from traceapp.subscriptions.worker import policy_from, run_worker, worker_name

    require_schema()
    database, ledger = get_database(), get_ledger()
    policy = policy_from(get_settings())
    if once:  # what is due now, then exit (cron, tests)
        worker = worker_name()
        jobs = run_captures(database, ledger, worker, limit=10_000) if captures else 0
        sent = deliver_pending(database, ledger.origin, worker, policy, limit=10_000)
        click.echo(f"{jobs} capture jobs, {sent} deliveries attempted")
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    click.echo("working; stop with Ctrl-C or SIGTERM", err=True)
    run_worker(database, ledger, policy, stop, captures=captures, poll=poll)


@epcis_group.command("work")
@click.option("--once", is_flag=True, help="Do what is due now, then exit.")
@click.option("--poll", type=click.FloatRange(0.01, 60), default=0.2, show_default=True)
@with_appcontext
def work_command(once: bool, poll: float) -> None:
    """Capture waiting REST capture jobs and send due subscription deliveries."""
    _background(True, once, poll)


@epcis_group.command("deliver")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--poll", type=click.FloatRange(0.01, 60), default=0.2, show_default=True)
@with_appcontext
def deliver_command(once: bool, poll: float) -> None:
    """Send due subscription deliveries (signed webhooks), retrying with backoff."""
    _background(False, once, poll)
