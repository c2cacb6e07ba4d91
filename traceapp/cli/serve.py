"""``traceapp serve [--bind HOST:PORT] [--workers N] [--dev]`` (DESIGN §9)."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from traceapp.cli.common import check_database
from traceapp.config import get_settings
from traceapp.db.sessions import get_database
from traceapp.web import epcis_worker


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
    from traceapp.ledger_runtime import check_log_key_at_start

    problem = check_log_key_at_start(get_settings())
    if problem:
        # Health probes and reads of an empty database still work; say why writes won't.
        click.echo(f"warning: {problem}; the ledger cannot be written or proven", err=True)
    # No connection may cross the fork into the workers.
    get_database().dispose()
    # The EPCIS worker thread (capture jobs, deliveries), unless TRACEAPP_EPCIS_WORKER=0.
    worker = os.environ.setdefault("TRACEAPP_EPCIS_WORKER", "1").strip().lower()
    if dev:
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        if worker in ("1", "true", "yes", "on"):
            epcis_worker.init_app(app, force=True)
        app.run(host=host.strip("[]"), port=int(port), debug=True, use_reloader=False)
        return
    from traceapp.server import run_gunicorn

    run_gunicorn(bind=bind, workers=workers, threads=threads)
