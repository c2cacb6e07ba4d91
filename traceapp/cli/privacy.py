"""``traceapp privacy erase PRODUCER``: personal data kept off the ledger."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from traceapp.cli.common import require_schema
from traceapp.db.sessions import get_database
from traceapp.errors import DomainError


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
