"""OCOP trace ledger: the Flask application factory, and the ``traceapp`` console script."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask

from traceapp import db
from traceapp.config import load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``TRACEAPP_*`` environment, then ``config``."""
    app = Flask(__name__, instance_relative_config=True)
    settings = load_settings(overrides=config)
    app.config.update(
        TRACEAPP=settings,
        TESTING=settings.testing,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Vietnamese stays readable
    db.init_app(app, settings)

    from traceapp import api, cli
    from traceapp.web import bundle_api, epcis_api, health, ledger_api, qr_api, resolver

    for blueprint in (health, ledger_api, resolver, bundle_api, qr_api, epcis_api):
        app.register_blueprint(blueprint.bp)
    api.init_app(app)
    cli.register(app)
    return app


def main() -> None:
    """The ``traceapp`` console script (pyproject ``[project.scripts]``)."""
    from traceapp.cli import make_group

    make_group(create_app).main(args=sys.argv[1:], prog_name="traceapp")
