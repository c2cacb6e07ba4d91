"""``traceapp accounts create-admin --email ... --name ...``: the first office admin.

The password is read from a hidden prompt (twice), or from standard input with
``--password-stdin`` (one line), never from the command line where ``ps`` would show it.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from traceapp.cli.common import require_schema
from traceapp.db.sessions import get_database
from traceapp.errors import DomainError


@click.group("accounts", help="Console accounts of people (the first office admin).")
def accounts_group() -> None:
    pass


@accounts_group.command("create-admin")
@click.option("--email", required=True, help="The admin's email: what they sign in with.")
@click.option("--name", required=True, help="The admin's full name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_admin(email: str, name: str, password_stdin: bool) -> None:
    """Create an office admin account, who can then invite producers' owners."""
    from traceapp.accounts.models import OFFICE_ADMIN
    from traceapp.accounts.services import PersonInput, create_account

    require_schema()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        with get_database().write() as session:
            account = create_account(
                session, OFFICE_ADMIN, None, PersonInput(name, email, None, password)
            )
            public_id = account.public_id
    except DomainError as exc:
        raise click.UsageError(f"{exc.field or 'account'}: {exc.message}") from None
    click.echo(f"office admin {public_id} created; sign in at /console/login")
