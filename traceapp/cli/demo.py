"""``traceapp demo``: set up an empty database and load the OCOP demo (DESIGN §9)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from traceapp import migrate
from traceapp.cli.common import check_database
from traceapp.config import Settings, get_settings
from traceapp.db.sessions import get_database
from traceapp.keys.services import admin_key_name, init_ledger
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.log import create_log_key
from traceapp.ledger_store.models import LedgerHead


def prepare_database(settings: Settings) -> None:
    """What ``db upgrade`` and ``keys init`` do, when (and only as far as) still needed."""
    check_database()
    database = get_database()
    with database.engine.connect() as conn:
        current = migrate.current_revision(conn)
    if current != migrate.head_revision():
        click.echo(f"database at {current or 'nothing'}: upgrading to head")
        migrate.upgrade(settings.database_url)
    with database.read_sessions() as session:
        has_log = session.get(LedgerHead, settings.log_origin) is not None
    if has_log:
        return
    if not settings.log_key_file.exists():
        create_log_key(settings.log_key_file, settings.log_origin)
        click.echo(f"created the log key {settings.log_key_file}")
    with database.write() as session:
        init_ledger(session, get_ledger())
    click.echo(f"wrote the genesis of {settings.log_origin}")


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load realistic OCOP demo data (idempotent) and print sample item URLs."""
    from traceapp.demo.loader import DemoLoader
    from traceapp.media.store import open_store

    settings = get_settings()
    prepare_database(settings)
    database = get_database()
    with database.read_sessions() as session:
        admin = admin_key_name(session)
    click.echo("loading the OCOP demo ...")
    media = open_store(settings)
    result = DemoLoader(database, get_ledger(), admin, settings.public_url, media).run()
    if result.appended:
        click.echo(f"appended {result.appended} ledger entries")
    else:
        click.echo("the demo was already loaded: nothing appended")
    click.echo(f"{result.producers} producers, {result.products} products")
    click.echo("")
    click.echo("Sample items (open in a browser or scan the QR at /qr/<same path>.png):")
    for sample in result.samples:
        click.echo(f"  {sample.product} ({sample.role})")
        click.echo(f"    {sample.uri}")
        if sample.pin:
            click.echo(f"    PIN (shown on the first run only): {sample.pin}")
    click.echo("")
    click.echo("Admin or auditor access: traceapp tokens create --role admin|auditor")
    click.echo(
        "Audit the ledger: traceapp ledger verify --deep; "
        + settings.public_url
        + "/ledger/checkpoint"
    )
