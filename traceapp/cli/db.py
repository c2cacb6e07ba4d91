"""``traceapp db upgrade|downgrade|current``: the schema's Alembic migrations."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from traceapp import migrate
from traceapp.cli.common import check_database
from traceapp.config import get_settings
from traceapp.db.sessions import get_database


@click.group("db", help="Database schema migrations (Alembic).")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    check_database()
    migrate.upgrade(get_settings().database_url, revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (e.g. -1 or base)."""
    check_database()
    migrate.downgrade(get_settings().database_url, revision)
    click.echo(f"database at {revision}")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the schema's current revision and the head."""
    check_database()
    with get_database().engine.connect() as conn:
        current = migrate.current_revision(conn)
    click.echo(f"current: {current}  head: {migrate.head_revision()}")
