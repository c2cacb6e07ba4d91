"""Helpers of the resolver conformance tests: schemas, Link header parsing, the demo host."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

HOST = "truyxuat.ocop.example.vn"
ROOT = f"https://{HOST}"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "gs1-resolver"
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"Accept": "application/json"}
LINKSET = {"Accept": "application/linkset+json"}
ANY = {"Accept": "*/*"}


@cache
def validator(name: str) -> jsonschema_rs.Validator:
    schema = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return jsonschema_rs.Draft7Validator(schema)


def schema_errors(name: str, document: Any) -> list[str]:
    return [error.message for error in validator(name).iter_errors(document)]


_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[\w*-]+="[^"]*")*)')
_PARAM = re.compile(r'([\w*-]+)="([^"]*)"')


def parse_link_header(value: str) -> list[dict[str, str]]:
    """``Link`` header -> [{"href", "rel", "type", "title", ...}]."""
    return [{"href": href, **dict(_PARAM.findall(params))} for href, params in _LINK.findall(value)]


def local(url: str) -> str:
    """An absolute URL on the demo host as the path the test client requests."""
    assert url.startswith(ROOT + "/"), url
    return url.removeprefix(ROOT)
