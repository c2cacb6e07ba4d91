"""``traceapp tokens create --role ROLE [--producer ID]``: API tokens, shown once."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from traceapp.cli.common import require_schema
from traceapp.db.sessions import get_database
from traceapp.errors import DomainError


@click.group("tokens", help="API tokens: created with a role, shown once, stored as a hash.")
def tokens_group() -> None:
    pass


@tokens_group.command("create")
@click.option("--role", type=click.Choice(["admin", "producer", "auditor"]), required=True)
@click.option("--producer", help="The producer's public ID (role producer).")
@click.option("--label", help="What the token is for.")
@with_appcontext
def tokens_create(role: str, producer: str | None, label: str | None) -> None:
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
