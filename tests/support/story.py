"""The demo's processed product (Trà đảng sâm, made from a raw lot by a TransformationEvent)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from itertools import pairwise

from flask import Flask
from flask.testing import FlaskCliRunner

from traceapp.db.sessions import get_database
from traceapp.gs1.digital_link import DigitalLink, parse_uri
from traceapp.ledger_runtime import get_ledger
from traceapp.verification.model import Verification
from traceapp.verification.services import verify_code

URI = re.compile(r"https?://\S+/01/\S+")
PROCESSED = "Trà đảng sâm"


def demo_links(app: Flask, runner: FlaskCliRunner) -> dict[str, DigitalLink]:
    """``traceapp demo``'s sample items by the product name printed before each URL."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    base = app.config["TRACEAPP"].public_url
    links: dict[str, DigitalLink] = {}
    lines = result.output.splitlines()
    for before, line in pairwise(lines):
        found = URI.fullmatch(line.strip())
        if found is not None:
            links[before.strip()] = parse_uri(found.group(0), base_url=base)
    return links


def processed_link(app: Flask, runner: FlaskCliRunner) -> DigitalLink:
    links = demo_links(app, runner)
    named = [link for line, link in links.items() if PROCESSED in line]
    assert len(named) == 1, links
    return named[0]


def verify(app: Flask, link: DigitalLink) -> Verification:
    """The view of ``link`` as of the demo's days (no scan recorded)."""
    with get_database(app).read_sessions() as session:
        return verify_code(
            session,
            get_ledger(app),
            link,
            today=date(2026, 11, 28),
            now=datetime(2026, 11, 28, 9, tzinfo=UTC),
            client=None,
            record_scan=False,
        )
