"""The demo's processed product (Trà đảng sâm, made from a raw lot by a TransformationEvent)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskCliRunner

from traceapp.gs1.digital_link import DigitalLink, parse_uri

URI = re.compile(r"https?://\S+/01/\S+")
PROCESSED = "Trà đảng sâm"


def demo_links(app: Flask, runner: FlaskCliRunner) -> dict[str, DigitalLink]:
    """``traceapp demo``'s sample items by the product name printed before each URL."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    base = app.config["TRACEAPP"].public_url
    links: dict[str, DigitalLink] = {}
    lines = result.output.splitlines()
    for before, line in zip(lines, lines[1:], strict=False):
        found = URI.fullmatch(line.strip())
        if found is not None:
            links[before.strip()] = parse_uri(found.group(0), base_url=base)
    return links


def processed_link(app: Flask, runner: FlaskCliRunner) -> DigitalLink:
    links = demo_links(app, runner)
    named = [link for line, link in links.items() if PROCESSED in line]
    assert len(named) == 1, links
    return named[0]
