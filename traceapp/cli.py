"""The ``traceapp`` command group (also ``flask --app traceapp ...``), DESIGN §9."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from traceapp import migrate
from traceapp.config import ConfigError, Settings
from traceapp.db.sessions import get_database


def _settings() -> Settings:
    settings: Settings = current_app.config["TRACEAPP"]
    return settings


def check_database() -> None:
    """Fail with one clear line when the database cannot be reached."""
    settings = _settings()
    try:
        with get_database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigError(f"cannot reach the database ({_redacted(settings)}): {reason}") from None


def require_schema() -> None:
    """Fail with one clear line unless the database is reachable and at the migrations' head."""
    check_database()
    with get_database().engine.connect() as conn:
        current = migrate.current_revision(conn)
    head = migrate.head_revision()
    if current != head:
        raise ConfigError(
            f"database schema is at {current or 'nothing'}, not {head}: run `traceapp db upgrade`"
        )


def _redacted(settings: Settings) -> str:
    return make_url(settings.database_url).render_as_string(hide_password=True)


@click.group("db", help="Database schema migrations (Alembic).")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    check_database()
    migrate.upgrade(_settings().database_url, revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (e.g. -1 or base)."""
    check_database()
    migrate.downgrade(_settings().database_url, revision)
    click.echo(f"database at {revision}")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the schema's current revision and the head."""
    check_database()
    with get_database().engine.connect() as conn:
        current = migrate.current_revision(conn)
    click.echo(f"current: {current}  head: {migrate.head_revision()}")


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="HOST:PORT")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
# One request thread a worker: the requests are CPU-bound (short database round trips), and
# threads of one process only contend for its GIL (docs/operations.md, Serving).
@click.option("--threads", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--dev", is_flag=True, help="Run Flask's development server instead of gunicorn.")
@with_appcontext
def serve(bind: str, workers: int, threads: int, dev: bool) -> None:
    """Serve the app (gunicorn; --dev for the Flask development server)."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise click.BadParameter("expected HOST:PORT", param_hint="--bind")
    check_database()
    try:
        from traceapp.ledger_store.runtime import build_ledger

        build_ledger(_settings())
    except ConfigError as exc:
        # Health probes and reads of an empty database still work; say why writes won't.
        click.echo(f"warning: {exc.message}; the ledger cannot be written or proven", err=True)
    # No connection may cross the fork into the workers.
    get_database().dispose()
    if dev:
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        app.run(host=host.strip("[]"), port=int(port), debug=True, use_reloader=False)
        return
    from traceapp.server import run_gunicorn

    run_gunicorn(bind=bind, workers=workers, threads=threads)


def register(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(serve)
    from traceapp import ledger_cli

    ledger_cli.register(app.cli)
    from traceapp.api.cli import schema_group

    app.cli.add_command(schema_group)


def _create_app() -> Flask:
    from traceapp import create_app

    return create_app()


cli = FlaskGroup(
    name="traceapp",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
    help="OCOP trace ledger: signed, hash-chained supply-chain records with QR verification.",
)


def main() -> None:
    cli.main(args=sys.argv[1:], prog_name="traceapp")
