"""The ``traceapp`` command group (also ``flask --app traceapp ...``), DESIGN §9.

One module per command group, each importing only ``cli.common`` and the layers below; this
module assembles them. ``create_app`` registers them on ``app.cli``, and the console script
(``traceapp.__init__:main``) wraps that factory in ``make_group``: nothing here imports the
factory.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask
from flask.cli import FlaskGroup

from traceapp.cli.accounts import accounts_group
from traceapp.cli.db import db_group
from traceapp.cli.demo import demo
from traceapp.cli.epcis import epcis_group
from traceapp.cli.export import export_group
from traceapp.cli.keys import keys_group
from traceapp.cli.labels import labels
from traceapp.cli.ledger import ledger_group
from traceapp.cli.privacy import privacy_group
from traceapp.cli.schema import schema_group
from traceapp.cli.serve import serve
from traceapp.cli.tokens import tokens_group
from traceapp.cli.witness import witness_group

COMMANDS: tuple[click.Command, ...] = (
    db_group,
    serve,
    keys_group,
    tokens_group,
    accounts_group,
    privacy_group,
    ledger_group,
    demo,
    labels,
    epcis_group,
    export_group,
    schema_group,
    witness_group,
)


def register(app: Flask) -> None:
    """Add every command to ``app.cli`` (what ``flask --app traceapp`` lists)."""
    for command in COMMANDS:
        app.cli.add_command(command)


def make_group(create_app: Callable[[], Flask]) -> FlaskGroup:
    """The ``traceapp`` console script's group: ``app.cli`` of the app ``create_app`` builds."""
    return FlaskGroup(
        name="traceapp",
        create_app=create_app,
        add_default_commands=False,
        add_version_option=False,
        load_dotenv=False,
        set_debug_flag=False,
        help="OCOP trace ledger: signed, hash-chained supply-chain records with QR verification.",
    )
