"""``traceapp keys init``: the log key and the genesis of the ledger."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from traceapp.cli.common import require_schema
from traceapp.config import ConfigError, get_settings
from traceapp.db.sessions import get_database
from traceapp.errors import DomainError
from traceapp.ledger_runtime import get_ledger
from traceapp.ledger_store.log import create_log_key


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

    settings = get_settings()
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
