"""OCOP trace ledger: the Flask application factory, and the ``traceapp`` console script."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from traceapp.config import load_settings
from traceapp.db import sessions
from traceapp.private_files import create_sqlite_database


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``TRACEAPP_*`` environment, then ``config``."""
    app = Flask(__name__, instance_relative_config=True)
    # The default database and log key live in the app's instance folder, wherever the
    # command runs from.
    settings = load_settings(overrides=config, instance_path=Path(app.instance_path))
    app.config.update(
        TRACEAPP=settings,
        TESTING=settings.testing,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Vietnamese stays readable
    create_sqlite_database(settings)
    sessions.init_app(app, settings)

    from traceapp import api, cli, console
    from traceapp.web import (
        bundle_api,
        epcis_api,
        epcis_queries,
        epcis_resources,
        epcis_worker,
        headers,
        health,
        ledger_api,
        media_api,
        pages,
        partners_api,
        qr_api,
        resolver,
        witness_api,
    )

    for blueprint in (
        headers, health, ledger_api, resolver, pages, bundle_api, qr_api, epcis_api, media_api,
        witness_api, partners_api, epcis_queries, epcis_resources,
    ):  # fmt: skip
        app.register_blueprint(blueprint.bp)
    app.register_blueprint(console.bp)
    epcis_worker.init_app(app)
    api.init_app(app)
    cli.register(app)
    return app


def main() -> None:
    """The ``traceapp`` console script (pyproject ``[project.scripts]``)."""
    from traceapp.cli import make_group

    make_group(create_app).main(args=sys.argv[1:], prog_name="traceapp")
