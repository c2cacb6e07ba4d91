"""``traceapp tokens create|list|revoke``: API tokens, shown once, stored as a hash."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from traceapp.cli.common import producer_id_option, require_schema
from traceapp.db.sessions import get_database
from traceapp.errors import DomainError


@click.group("tokens", help="API tokens: created with a role, shown once, stored as a hash.")
def tokens_group() -> None:
    pass


@tokens_group.command("create")
@click.option("--role", type=click.Choice(["admin", "producer", "auditor"]), required=True)
@click.option("--producer", help="The producer's public ID (pro_…) or GraphQL ID (role producer).")
@click.option("--label", help="What the token is for.")
@with_appcontext
def tokens_create(role: str, producer: str | None, label: str | None) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from traceapp.auth.services import create_token

    require_schema()
    producer = producer_id_option(producer) if producer is not None else None
    try:
        with get_database().write() as session:
            token, plaintext = create_token(session, role, producer, label)
            token_id = token.public_id
    except DomainError as exc:
        raise click.UsageError(f"{exc.field or 'token'}: {exc.message}") from None
    click.echo(f"token {token_id} ({role}{' ' + producer if producer else ''}); shown once:")
    click.echo(plaintext)


@tokens_group.command("list")
@click.option("--producer", help="Only this producer's tokens (pro_… or GraphQL ID).")
@with_appcontext
def tokens_list(producer: str | None) -> None:
    """Every token: ID, role, producer, label, created, revoked (never a secret).

    When a token was last used is not tracked: that would be a write on every request.
    """
    from traceapp.auth.services import list_tokens

    require_schema()
    producer = producer_id_option(producer) if producer is not None else None
    with get_database().read_sessions() as session:
        tokens = list_tokens(session, producer)
    click.echo("id\trole\tproducer\tlabel\tcreated\trevoked")
    for token in tokens:
        revoked = token.revoked_at.isoformat(timespec="seconds") if token.revoked_at else "-"
        click.echo(
            "\t".join(
                (
                    token.public_id,
                    token.role,
                    token.producer_public_id or "-",
                    token.label or "-",
                    token.created_at.isoformat(timespec="seconds"),
                    revoked,
                )
            )
        )


@tokens_group.command("revoke")
@click.argument("token_id")
@with_appcontext
def tokens_revoke(token_id: str) -> None:
    """Revoke a token at once: the API refuses it from the next request on."""
    from traceapp.auth.services import revoke_token

    require_schema()
    try:
        with get_database().write() as session:
            revoke_token(session, token_id)
    except DomainError as exc:
        raise click.UsageError(f"{exc.field or 'token'}: {exc.message}") from None
    click.echo(f"token {token_id} revoked")
